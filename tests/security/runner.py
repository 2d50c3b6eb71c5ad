"""Requests one matrix row as one persona and reads the outcome.

Outcomes are compared with the table in tests/security/matrix.py:

- an int: that status code (a redirect must not go to the sign-in or MFA page);
- ``LOGIN``: a redirect to the sign-in page (allauth's or the admin's, which forwards there);
- ``MFA``: a page redirect to the TOTP set-up, or an API 403 with ``"code": "mfa_required"``.

Each request runs in a savepoint that is rolled back, so every persona meets the
same world and a write by one is never seen by the next.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.test import APIClient

from tests.security.requests_spec import PATH_DEFAULTS, PK_BY_PREFIX, REQUESTS
from tests.security.world import HEALTH_MARKER, MAY_SEE_A, NAME_MARKER, World, fill

LOGIN = "LOGIN"
MFA = "MFA"
LOGIN_PREFIXES = ("/accounts/login/", "/admin/login/")
MFA_SETUP = "/accounts/2fa/totp/activate/"


# Outcomes that refuse: the world must be exactly as it was afterwards.
REFUSALS = {400, 401, 403, 404, 405, 409, 429, LOGIN, MFA}
# Not part of the fingerprint: sessions (a request refreshes its own), the admin's
# log of its own actions, and the audit log (a page that refuses a form still shows
# the caller's own list, and audits that read; audit rows are counted by
# test_audit_completeness.py).
UNTRACKED_TABLES = {"django_session", "django_admin_log", "django_migrations", "audit_auditevent"}


@dataclass
class Result:
    outcome: object
    status: int
    body: bytes
    path: str
    leaks: list[str]
    changed: bool = False  # a refusal that changed the database
    touched_a: bool = False  # someone who may not see A's record changed it
    audit: list = field(default_factory=list)  # (actor, action, patient_id) written by the request
    response: object = None


@functools.cache
def _fingerprint_sql() -> str:
    """One query: a hash of every row of every table the project owns."""
    from django.apps import apps

    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed}
        - UNTRACKED_TABLES
    )
    # Table names come from the models' metadata, never from a request.
    parts = [
        f"SELECT '{table}' AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM {table} t"  # noqa: S608
        for table in tables
    ]
    return "SELECT md5(string_agg(h, '' ORDER BY n)) FROM (" + " UNION ALL ".join(parts) + ") s"  # noqa: S608


@functools.cache
def _record_fingerprint_sql() -> str:
    """One query: a hash of every row that belongs to one patient's record (every
    table with a ``patient_id`` column, and the patient row itself)."""
    from django.apps import apps

    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if any(getattr(f, "attname", None) == "patient_id" for f in model._meta.concrete_fields)
        }
        - UNTRACKED_TABLES
    )
    parts = [
        f"SELECT '{table}' AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h "  # noqa: S608
        f"FROM {table} t WHERE t.patient_id = %(patient)s"
        for table in tables
    ]
    parts.append(
        "SELECT 'patients_patient' AS n, md5(coalesce(string_agg(t::text, '|'), '')) AS h "
        "FROM patients_patient t WHERE t.id = %(patient)s"
    )
    return "SELECT md5(string_agg(h, '' ORDER BY n)) FROM (" + " UNION ALL ".join(parts) + ") s"  # noqa: S608


def fingerprint(patient_id: int | None = None) -> str:
    """The whole database's hash, or one patient's record's."""
    with connection.cursor() as cursor:
        if patient_id is None:
            cursor.execute(_fingerprint_sql())
        else:
            cursor.execute(_record_fingerprint_sql(), {"patient": patient_id})
        return cursor.fetchone()[0]


def session_cookies(world: World) -> dict[str, str]:
    """persona -> session key of a signed-in browser session (the app token too)."""
    from allauth.account import app_settings as account_settings
    from django.test import Client

    from tests.sessions import password_only_sign_in, sign_in

    # Signed in before allauth's reauthentication window: whatever the time the rows
    # take, changing how one signs in asks for the password (the table says 302/401).
    # A sign-in just made counts as recent: tests/portal/test_first_sign_in.py.
    earlier = account_settings.REAUTHENTICATION_TIMEOUT + 60
    keys = {}
    for persona, user in world.users.items():
        client = Client()
        if persona == "password_only":
            password_only_sign_in(client, user)
        else:
            sign_in(client, user, seconds_ago=earlier)
        keys[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


def _admin_object_id(route: str, world: World) -> str:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from patients.models import Patient

    if route.startswith("admin/r/"):
        return ""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    model = apps.get_model(match.group(1), match.group(2))
    queryset = model._default_manager.order_by("pk")
    if model is Patient:
        obj = world.patient_a
    elif model is ContentType:
        obj = ContentType.objects.get_for_model(Patient)
    elif any(f.name == "patient" for f in model._meta.get_fields()):
        obj = queryset.filter(patient=world.patient_a).first()
    elif model._meta.label == settings.AUTH_USER_MODEL:
        obj = world.patient_a.user
    elif any(f.name == "user" for f in model._meta.get_fields()):
        obj = queryset.filter(user=world.patient_a.user).first() or queryset.first()
    else:
        obj = queryset.first()
    return str(obj.pk) if obj is not None else "1"


def concrete_path(key: tuple, world: World, ids: dict | None = None) -> str:
    route = key[1]
    spec = REQUESTS.get(key, {})
    overrides = spec.get("path", {})
    ids = ids or world.ids

    def value(name: str) -> str:
        if name in overrides:
            return str(fill(overrides[name], ids))
        if name == "pk":
            prefix = next(p for p in PK_BY_PREFIX if route.startswith(p))
            return str(fill(PK_BY_PREFIX[prefix], ids))
        if name == "object_id":
            return _admin_object_id(route, world)
        if name == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            from patients.models import Patient

            return str(ContentType.objects.get_for_model(Patient).pk)
        return str(fill(PATH_DEFAULTS[name], ids))

    path = route
    if route.startswith("admin/r/"):
        path = f"admin/r/{value('content_type_id')}/{world.patient_a.pk}/"
    else:
        # allauth's and the admin's regexes: fill the named groups, drop the anchors.
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), path)
        path = path.replace("^", "").removesuffix("$")  # an anchor; FHIR's "$everything" stays
        path = re.sub(r"<(?:[^>:]+:)?(\w+)>", lambda m: value(m.group(1)), path)
    query = fill(spec.get("query", ""), ids)
    return "/" + path + (f"?{query}" if query else "")


def client_for(persona: str, sessions: dict[str, str], path: str) -> APIClient:
    client = APIClient()
    if persona == "anonymous":
        return client
    key = sessions[persona]
    if path.startswith("/_allauth/app/"):
        # The app client: the session token header, no cookie.
        client.credentials(HTTP_X_SESSION_TOKEN=key)
    else:
        client.cookies = SimpleCookie({settings.SESSION_COOKIE_NAME: key})
    return client


def classify(path: str, response) -> object:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        # "Sign in, then come back here" carries ?next=; a plain redirect to the
        # sign-in page after signing out or setting a password is a success.
        if location.startswith(LOGIN_PREFIXES) and "next=" in location:
            return LOGIN
        if location == MFA_SETUP:
            return MFA
        return status
    if status == 403 and path.startswith(("/api/", "/fhir/")) and "json" in response.get("Content-Type", ""):
        try:
            if mfa_code(json.loads(response.content)) == "mfa_required":
                return MFA
        except (ValueError, AttributeError, LookupError, TypeError):
            pass
    return status


def mfa_code(payload: dict) -> str | None:
    """The API's ``code``, or a FHIR OperationOutcome's issue details code."""
    if payload.get("resourceType") == "OperationOutcome":
        return payload["issue"][0]["details"]["coding"][0]["code"]
    return payload.get("code")


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _patient_ids_in(payload, patient_id: int) -> bool:
    """Any ``patient``/``patient_id`` field naming A in a JSON payload."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            names_a = value == patient_id or (isinstance(value, dict) and value.get("id") == patient_id)
            if key in ("patient", "patient_id") and names_a:
                return True
            if _patient_ids_in(value, patient_id):
                return True
    elif isinstance(payload, list):
        return any(_patient_ids_in(item, patient_id) for item in payload)
    return False


def leaks_in(persona: str, path: str, response, body: bytes, world: World) -> list[str]:
    """What of A's record a persona who may not see it received."""
    if persona in MAY_SEE_A:
        return []
    found = []
    text = body.decode("utf-8", "replace").lower()
    if HEALTH_MARKER in text:
        found.append("health data marker")
    # The admin site lists accounts (names, emails): that is its job. Nowhere else.
    if NAME_MARKER in text and not (persona == "admin" and path.startswith("/admin/")):
        found.append("patient A's name")
    if "json" in response.get("Content-Type", ""):
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if _patient_ids_in(payload, world.patient_a.pk):
            found.append("patient A's id in a patient field")
    for header in ("Location", "Content-Disposition"):
        if HEALTH_MARKER in response.get(header, "").lower():
            found.append(f"marker in {header}")
    return found


def _audit_rows_after(last_id: int) -> list[tuple]:
    from portal.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(pk__gt=last_id).order_by("pk").values_list("actor_id", "action", "patient_id")
    )


def _last_audit_id() -> int:
    from portal.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def perform(key: tuple, persona: str, world: World, sessions: dict[str, str], ids: dict | None = None) -> Result:
    """One request; ``ids`` replaces the world's ids (to ask for objects that do not exist)."""
    ids = {**(ids or world.ids), **world.fresh_ids()}
    method = key[0].lower()
    path = concrete_path(key, world, ids)
    spec = REQUESTS.get(key, {})
    client = client_for(persona, sessions, path)
    kwargs: dict = {}
    if "json" in spec:
        kwargs = {"data": fill(spec["json"], ids), "format": "json"}
    elif "multipart" in spec:
        data = dict(fill(spec["multipart"], ids))
        field, name, content, content_type = spec["file"]
        data[field] = SimpleUploadedFile(name, content, content_type=content_type)
        kwargs = {"data": data, "format": "multipart"}
    elif "data" in spec:
        data = fill(spec["data"], ids)
        # A form post is multipart, as a browser sends it.
        kwargs = {"data": data} if method == "get" else {"data": data, "format": "multipart"}
    cache.clear()  # rate limits count per test, not across the table
    # Reads are not fingerprinted: that would double the table's run time, and a
    # refused read that wrote something would show as a failed write elsewhere.
    track = method != "get"
    outsider = persona not in MAY_SEE_A
    patient_a = world.patient_a.pk
    with transaction.atomic():
        before = fingerprint() if track else None
        before_a = fingerprint(patient_a) if track and outsider else None
        last_audit = _last_audit_id()
        response = getattr(client, method)(path, **kwargs)
        audit = _audit_rows_after(last_audit)
        body = body_of(response)
        outcome = classify(path, response)
        changed = track and outcome in REFUSALS and fingerprint() != before
        touched_a = track and outsider and fingerprint(patient_a) != before_a
        transaction.set_rollback(True)
    return Result(
        outcome=outcome,
        status=response.status_code,
        body=body,
        path=path,
        leaks=leaks_in(persona, path, response, body, world),
        changed=changed,
        touched_a=touched_a,
        audit=audit,
        response=response,
    )


def missing_ids(world: World) -> dict:
    """The world's ids with every one of A's objects replaced by an id nobody has."""
    from tests.security.world import A_OWNED

    return {**world.ids, **{name: 987_654_321 for name in A_OWNED}}


def same_answer(first: Result, second: Result) -> bool:
    """Would a caller tell A's object from one that does not exist? Status codes,
    and JSON bodies (HTML pages differ by their CSRF token alone)."""
    if first.outcome != second.outcome:
        return False
    if first.body.startswith((b"{", b"[")) and second.body.startswith((b"{", b"[")):
        return json.loads(first.body) == json.loads(second.body)
    return True
