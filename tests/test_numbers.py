"""A number is never shown on the other side of a limit from its exact value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.numbers import rounded_within_limits


@pytest.mark.parametrize(
    ("exact", "places", "limits", "shown"),
    [
        ("0.595", 2, ["0.6", "0.4"], "0.59"),  # not the usual "0.60"
        ("0.5999", 2, ["0.6", "0.4"], "0.59"),
        ("0.6", 2, ["0.6", "0.4"], "0.60"),  # on the limit: shown on it
        ("0.3999", 2, ["0.6", "0.4"], "0.39"),
        ("0.5555", 2, ["0.6", "0.4"], "0.56"),  # no limit in the way: the usual rounding
        ("37.95", 1, ["38.0"], "37.9"),  # not the fever's "38.0"
        ("38.00", 1, ["38.0"], "38.0"),
        ("38.04", 1, ["38.0"], "38.04"),  # rounded down onto the limit: more decimals instead
        ("45.04", 1, ["45"], "45.04"),
        ("45.4", 0, ["45"], "45.4"),
        ("0.454", 2, ["0.15", "0.45"], "0.454"),
        ("37.54", 1, ["37.53"], "37.54"),
        ("36.66", 1, ["38.0"], "36.7"),
        ("37.96", 1, ["37.93", "37.97"], "37.96"),  # two limits inside one step
    ],
)
def test_shown_numbers(exact, places, limits, shown):
    assert str(rounded_within_limits(Decimal(exact), places, [Decimal(x) for x in limits])) == shown


decimals = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)


@given(exact=decimals, limits=st.lists(decimals, max_size=4), places=st.integers(min_value=0, max_value=3))
def test_never_across_or_onto_a_limit(exact, limits, places):
    shown = rounded_within_limits(exact, places, limits)
    for limit in limits:
        assert (shown > limit) == (exact > limit) and (shown == limit) == (exact == limit)
    assert abs(shown - exact) <= Decimal(1).scaleb(-places)  # never further off than one step


@pytest.mark.parametrize(
    ("exact", "shown"),
    [("37.95", "37.9"), ("37.99", "37.9"), ("38.00", "38.0"), ("38.04", "38.0"), ("38.05", "38.1"), ("37.74", "37.7")],
)
def test_thresholds_that_fire_at_the_limit(exact, shown):
    assert str(rounded_within_limits(Decimal(exact), 1, [Decimal("38.0")], fires_at_limit=True)) == shown


def test_a_threshold_off_the_grid_gets_more_decimals_rather_than_a_false_reading():
    assert str(rounded_within_limits(Decimal("37.74"), 1, [Decimal("37.74")], fires_at_limit=True)) == "37.74"


@given(exact=decimals, limits=st.lists(decimals, max_size=4), places=st.integers(min_value=0, max_value=3))
def test_thresholds_never_read_otherwise_than_they_fire(exact, limits, places):
    shown = rounded_within_limits(exact, places, limits, fires_at_limit=True)
    assert all((shown >= limit) == (exact >= limit) for limit in limits)
