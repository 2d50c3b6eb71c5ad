"""Wilson's interval and percentile_cont, against published and PostgreSQL's values."""

from __future__ import annotations

import pytest
from django.db import connection

from quality.stats import percentile_cont, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe, Statistics in Medicine 1998, table I (method 3, Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombes_table(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(3, 0)
    with pytest.raises(ValueError):
        wilson_interval(6, 5)


@pytest.mark.django_db
@pytest.mark.parametrize("values", [[7.0], [1.0, 2.0], [5.0, 1.0, 9.0, 3.5], [float(v) for v in range(1, 38, 3)]])
def test_the_sqlite_percentiles_are_postgresqls_percentile_cont(values):
    """make run (SQLite) computes the percentiles in Python: the same numbers as PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v) "
            "FROM unnest(%s::float8[]) AS v",
            [values],
        )
        median, p90 = cursor.fetchone()
    ordered = sorted(values)
    assert percentile_cont(ordered, 0.5) == pytest.approx(median)
    assert percentile_cont(ordered, 0.9) == pytest.approx(p90)
    assert percentile_cont([], 0.5) is None
