"""API fuzzing: schemathesis against the live OpenAPI schema, in-process (the WSGI app).

Every operation of ``/api/schema/`` is called with generated requests, valid and
invalid, signed in as patient A (app session token) and as A's care-team clinician
(app session token after the TOTP step). Each response must:

- never be a server error (bad input is a 4xx, API.md "Errors");
- conform to the schema: status-specific body, content type, headers;
- reject data that the schema says is invalid (``negative_data_rejection``).

Deterministic (``derandomize``, no example database). ``make test`` runs
``AFTERCARE_FUZZ_EXAMPLES`` (default 100) examples per operation and persona;
``make fuzz`` runs 1000.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
import time_machine
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
)

from portal.wsgi import application
from tests.factories import TEST_PASSWORD

EXAMPLES = int(os.environ.get("AFTERCARE_FUZZ_EXAMPLES", "100"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# HTML form encodings cannot tell "empty" from "not sent": DRF reads an empty form
# field as absent (a PATCH leaves it alone, an optional field takes its default).
# Invalid data must be refused in JSON, the API's own encoding; form bodies are
# still sent, and still must never cause a server error or a non-conforming answer.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def only_empty_query_values(case) -> bool:
    """The project's convention, as in DRF's own pagination and HTML GET forms: a
    query parameter sent empty (``?status=``) is one not sent. A negative case
    whose every mutation is such an empty value is a valid request."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    negative = {location for location, info in meta.components.items() if info.mode.is_negative}
    if negative != {ParameterLocation.QUERY}:
        return False
    query = case.query or {}
    # The mutated parameters when schemathesis names them, else every one sent.
    names = [name for name, location in negated_parameters(meta) if location == ParameterLocation.QUERY] or list(query)
    return bool(names) and all(sent_empty(query.get(name)) for name in names)


def sent_empty(value) -> bool:
    """A query value Django reads as empty: ``name=`` (an empty object or list too), or a
    repeated parameter whose last value is empty (``QueryDict.get`` reads the last)."""
    if isinstance(value, dict):
        return all(sent_empty(item) for item in value.values())
    if isinstance(value, list | tuple):
        return not value or sent_empty(value[-1])
    return value in ("", None)


def invalid_data_is_rejected(ctx, response, case):
    """schemathesis' negative_data_rejection, with the empty-query convention above."""
    if only_empty_query_values(case):
        return None
    return negative_data_rejection(ctx, response, case)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The coverage phase (every boundary and every kind of invalid value, about 50 to 500
# deterministic requests per operation) runs in `make fuzz`; `make test` runs the
# random phase alone so the suite stays within minutes.
schema.config.phases.coverage.enabled = os.environ.get("AFTERCARE_FUZZ_COVERAGE", "") == "1"

# Path and query values that name one of A's objects in a valid request (a random
# id is almost always a 404; these reach the code behind the look-up). Invalid
# requests keep what the generator made.
OBJECT_IDS = {
    "patient_id": "patient_a",
    "entry_id": "entry",
    "grant_id": "grant_revocable",
    "thread_id": "thread",
    "attachment_id": "attachment",
    "item_id": "inbox_item",
    "alert_id": "alert",
}
QUERY_IDS = {"patient": "patient_a"}
PK_BY_PATH = {"/api/v1/lab-reports/": "report", "/api/v1/lab-requests/": "lab_request"}


@contextmanager
def in_process():
    """Django's test client stops a request from closing the test's database
    connection (and so its transaction); do the same around a call to the WSGI app.
    (Per call: the test client connects the handler again after each of its requests.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def app_token(user, *, totp: bool) -> str:
    """Sign in as the mobile app does: password, then the TOTP code when enrolled.
    The clock stands still meanwhile, so the code's 30-second window cannot roll over
    between computing it and the server checking it."""
    with time_machine.travel(timezone.now(), tick=False):
        return _app_token(user, totp=totp)


def _app_token(user, *, totp: bool) -> str:
    client = APIClient()
    response = client.post(
        "/_allauth/app/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )
    token = response.json()["meta"]["session_token"]
    if totp:
        assert response.status_code == 401  # the mfa_authenticate flow is pending
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        secret = decrypt(authenticator.data["secret"])
        code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
        response = client.post(
            "/_allauth/app/v1/auth/2fa/authenticate", {"code": code}, format="json", HTTP_X_SESSION_TOKEN=token
        )
        token = response.json()["meta"]["session_token"]
    assert response.status_code == 200, response.content
    assert client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    return token


@pytest.fixture(params=["patient_a", "care_team"])
def signed_in(request, world):
    persona = request.param
    token = app_token(world.users[persona], totp=persona == "care_team")
    return world, {"X-Session-Token": token}


def aim_at_real_objects(case, world) -> None:
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    for name in list(case.path_parameters or {}):
        if name in OBJECT_IDS:
            case.path_parameters[name] = world.ids[OBJECT_IDS[name]]
        elif name in ("pk", "id"):
            prefix = next((p for p in PK_BY_PATH if case.path.startswith(p)), None)
            if prefix:
                case.path_parameters[name] = world.ids[PK_BY_PATH[prefix]]
    for name in list(case.query or {}):
        if name in QUERY_IDS:
            case.query[name] = world.ids[QUERY_IDS[name]]


# Requests sent, per operation and persona (and by generation mode): the figures of
# the security note. Written to var/fuzz/ by each pytest worker at the end.
CALLS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _write_call_counts():
    yield
    out = Path(__file__).resolve().parents[2] / "var" / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    rows = [{"test": test, "mode": mode, "requests": n} for (test, mode), n in sorted(CALLS.items())]
    (out / f"calls-{worker}.json").write_text(json.dumps({"examples": EXAMPLES, "rows": rows}, indent=1))


@pytest.fixture
def at_least_the_examples(request):
    """Every operation and persona got its examples (Hypothesis may stop early when an
    operation has few distinct requests: none of ours do)."""
    yield
    if not getattr(getattr(request.node, "rep_call", None), "passed", False):
        return  # a failure stops the examples early; it is reported on its own
    sent = CALLS[(request.node.name, "positive")] + CALLS[(request.node.name, "negative")]
    assert sent >= EXAMPLES, f"{request.node.name}: {sent} requests, fewer than {EXAMPLES}"


@pytest.mark.django_db
@schema.parametrize()
@FUZZ_SETTINGS
def test_api(case, signed_in, request, at_least_the_examples):
    world, headers = signed_in
    aim_at_real_objects(case, world)
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    CALLS[(request.node.name, "negative" if negative else "positive")] += 1
    form_body = (case.media_type or "").startswith(FORM_TYPES)
    checks = CHECKS if form_body else [*CHECKS, invalid_data_is_rejected]
    with in_process():
        case.call_and_validate(headers=headers, checks=checks)
