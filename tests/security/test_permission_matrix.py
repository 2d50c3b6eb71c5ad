"""The permission matrix (tests/security/matrix.py), requested row by row.

For each row and persona:
1. the outcome is the one in the table;
2. a persona who may not see A's record receives none of A's health data, A's
   name, or A's patient id in any ``patient`` field (lists included);
3. every 200 answer is ``Cache-Control: no-store`` (pages and API alike may hold health data);
4. a refusal leaves the database as it was, and a write by anyone outside A's care
   team leaves A's record as it was;
5. a refusal of A's object reads exactly like the refusal of an object that does
   not exist (no existence oracle).
"""

from __future__ import annotations

import json

import pytest

from tests.security.matrix import MATRIX, PERSONAS
from tests.security.requests_spec import REQUESTS
from tests.security.routes import required_keys, resolver_routes, schema_operations
from tests.security.runner import REFUSALS, concrete_path, missing_ids, perform, same_answer
from tests.security.world import MAY_SEE_A

pytestmark = pytest.mark.django_db

ROWS = sorted(MATRIX, key=lambda key: (key[1], key[0], key[2:]))


@pytest.fixture(autouse=True)
def _scan_never_late(settings):
    """The matrix asks who may call /readyz, not whether alerts are late: the module's
    world is built once and a slow run outlives the scan's 5-minute limit
    (tests/portal/test_readiness.py tests the limits)."""
    settings.AFTERCARE_READY_SCAN_MAX_AGE_SECONDS = 10**9


def test_every_url_and_method_is_in_the_table():
    missing = sorted(required_keys() - {key[:2] for key in MATRIX})
    assert not missing, (
        "New URLs or methods without a row in tests/security/matrix.py (add each with the outcome "
        "every persona must get):\n" + "\n".join(f"    {key!r}" for key in missing)
    )


def test_the_table_has_no_stale_rows():
    stale = sorted({key[:2] for key in MATRIX} - required_keys())
    assert not stale, f"Rows for URLs or methods that no longer exist: {stale}"
    variants = [key for key in REQUESTS if key[:2] not in required_keys()]
    assert not variants, f"Request specs for URLs that no longer exist: {variants}"


def test_every_row_names_every_persona():
    assert all(len(outcomes) == len(PERSONAS) for outcomes in MATRIX.values())


def test_the_schema_describes_every_api_endpoint():
    """API.md: the OpenAPI schema describes all of /api/v1/."""
    documented = set(schema_operations())
    undocumented = sorted(
        (method, route.route)
        for route in resolver_routes()
        if route.route.startswith("api/v1/")
        for method in route.methods
        if (method, route.route) not in documented
    )
    assert not undocumented, f"API endpoints missing from the OpenAPI schema: {undocumented}"


@pytest.mark.parametrize("key", ROWS, ids=lambda key: " ".join(key))
def test_row(matrix_world, key):
    world, sessions = matrix_world
    gone = missing_ids(world)
    problems = []
    for persona, expected in zip(PERSONAS, MATRIX[key], strict=True):
        result = perform(key, persona, world, sessions)
        where = f"{persona}: {key[0]} {result.path}"
        if result.outcome != expected:
            snippet = result.body[:300].decode("utf-8", "replace")
            problems.append(f"{where} answered {result.outcome}, the table says {expected} ({snippet!r})")
        if result.leaks:
            problems.append(f"{where} LEAKED {', '.join(result.leaks)}")
        if result.status == 200 and "no-store" not in result.response.get("Cache-Control", ""):
            problems.append(f"{where} may be cached: Cache-Control {result.response.get('Cache-Control')!r}")
        if result.changed:
            problems.append(f"{where} refused ({result.outcome}) but changed the database")
        if result.touched_a:
            problems.append(f"{where} changed patient A's record")
        asks_for_a = concrete_path(key, world) != concrete_path(key, world, gone) or key in REQUESTS
        if persona not in MAY_SEE_A and result.outcome in REFUSALS and asks_for_a:
            other = perform(key, persona, world, sessions, ids=gone)
            if not same_answer(result, other):
                problems.append(
                    f"{where} tells A's objects from missing ones: {result.outcome} {result.body[:120]!r} "
                    f"vs {other.outcome} {other.body[:120]!r}"
                )
    assert not problems, "\n".join(problems)


# --- Lists: B's and the outsider's lists are not empty, and hold none of A's rows -------------

LISTS = [
    ("api/v1/patients/", "patient_b"),
    ("api/v1/patients/", "outsider"),
    ("api/v1/symptoms/", "patient_b"),
    ("api/v1/threads/", "patient_b"),
    ("api/v1/threads/", "outsider"),
    ("api/v1/inbox/", "outsider"),
    ("api/v1/lab-reports/", "patient_b"),
    ("api/v1/lab-reports/", "outsider"),
    ("api/v1/care-team/", "patient_b"),
]


@pytest.mark.parametrize(("route", "persona"), LISTS)
def test_lists_of_others_hold_their_rows_and_none_of_as(matrix_world, route, persona):
    world, sessions = matrix_world
    key = ("GET", route, "own") if ("GET", route, "own") in MATRIX else ("GET", route)
    result = perform(key, persona, world, sessions)
    assert result.status == 200
    payload = json.loads(result.body)
    rows = payload["results"] if isinstance(payload, dict) else payload
    assert rows, f"{persona}'s {route} is empty: the no-leak check would prove nothing"
    assert not result.leaks


def test_matrix_size():
    """The numbers the security note quotes."""
    endpoints = {key[:2] for key in MATRIX}
    assert len(endpoints) == len(required_keys())
    assert len(PERSONAS) == 8
    assert len(MATRIX) * len(PERSONAS) >= 8 * len(endpoints)


# --- The checks themselves find what they look for ---------------------------------------------


def test_the_leak_check_finds_markers_names_and_patient_ids(matrix_world):
    from django.http import HttpResponse, JsonResponse

    from tests.security.runner import leaks_in

    world, _ = matrix_world
    a = world.patient_a.pk
    page = HttpResponse("<p>ZQXA-notes: dizzy</p><p>Avery Zqxname-Avery</p>")
    assert leaks_in("patient_b", "/history/", page, page.content, world) == ["health data marker", "patient A's name"]
    listing = JsonResponse({"results": [{"id": 9, "patient": a}]})
    assert leaks_in("outsider", "/api/v1/x/", listing, listing.content, world) == ["patient A's id in a patient field"]
    # A's own care team may see it all; the admin site may show A's name, never health data.
    assert leaks_in("care_team", "/history/", page, page.content, world) == []
    assert leaks_in("admin", "/admin/accounts/user/", page, page.content, world) == ["health data marker"]
