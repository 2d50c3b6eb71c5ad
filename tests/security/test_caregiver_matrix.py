"""The permission matrix as A's caregivers (tests/security/caregiver_matrix.py): every
row of the table, as a caregiver allowed to log, one who follows only, and a revoked one.

As for the other personas: the outcome is the table's; a caregiver receives A's data
only on the rows where they read A's record (never a revoked one); every 200 is
no-store; a refusal changes nothing; only an allowed write touches A's record; and
asking for A's objects reads like asking for missing ones wherever a caregiver is refused
(but where a follower of A is told why: "Avery has not allowed you to log symptoms").
"""

from __future__ import annotations

import pytest

from tests.security.caregiver_matrix import (
    CAREGIVER_MATRIX,
    CAREGIVER_PERSONAS,
    CAREGIVER_READS,
    CAREGIVER_WRITES,
    caregiver_outcomes,
)
from tests.security.matrix import MATRIX
from tests.security.requests_spec import REQUESTS
from tests.security.runner import REFUSALS, concrete_path, missing_ids, perform, same_answer

pytestmark = pytest.mark.django_db

ROWS = sorted(MATRIX, key=lambda key: (key[1], key[0], key[2:]))
FOLLOWERS = {"caregiver_logs", "caregiver_follows"}


@pytest.fixture(autouse=True)
def _scan_never_late(settings):
    settings.AFTERCARE_READY_SCAN_MAX_AGE_SECONDS = 10**9


def test_the_caregiver_table_names_existing_rows_only():
    assert set(CAREGIVER_MATRIX) <= set(MATRIX)
    assert all(len(outcomes) == len(CAREGIVER_PERSONAS) for outcomes in CAREGIVER_MATRIX.values())
    assert not (CAREGIVER_READS | CAREGIVER_WRITES) - set(MATRIX)


@pytest.mark.parametrize("key", ROWS, ids=lambda key: " ".join(key))
def test_caregiver_row(matrix_world, key):
    world, sessions = matrix_world
    gone = missing_ids(world)
    problems = []
    for persona, expected in zip(CAREGIVER_PERSONAS, caregiver_outcomes(key), strict=True):
        result = perform(key, persona, world, sessions)
        where = f"{persona}: {key[0]} {result.path}"
        if result.outcome != expected:
            snippet = result.body[:300].decode("utf-8", "replace")
            problems.append(f"{where} answered {result.outcome}, the table says {expected} ({snippet!r})")
        reads_a = persona in FOLLOWERS and key in CAREGIVER_READS
        if result.leaks and not reads_a:
            problems.append(f"{where} LEAKED {', '.join(result.leaks)}")
        if result.status == 200 and "no-store" not in result.response.get("Cache-Control", ""):
            problems.append(f"{where} may be cached: Cache-Control {result.response.get('Cache-Control')!r}")
        if result.changed:
            problems.append(f"{where} refused ({result.outcome}) but changed the database")
        if result.touched_a and not (persona in FOLLOWERS and key in CAREGIVER_WRITES):
            problems.append(f"{where} changed patient A's record")
        asks_for_a = concrete_path(key, world) != concrete_path(key, world, gone) or key in REQUESTS
        # A follower knows A: a refusal that names A (follow-only logging) may say why.
        if result.outcome in REFUSALS and asks_for_a and not reads_a:
            other = perform(key, persona, world, sessions, ids=gone)
            if not same_answer(result, other):
                problems.append(
                    f"{where} tells A's objects from missing ones: {result.outcome} {result.body[:120]!r} "
                    f"vs {other.outcome} {other.body[:120]!r}"
                )
    assert not problems, "\n".join(problems)
