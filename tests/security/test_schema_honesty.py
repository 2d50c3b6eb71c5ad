"""The OpenAPI schema tells the truth about every write endpoint's request body.

The services are the one place input is validated; the API's request serializers
only describe the shape for the schema (``portal/validation.py``). Nothing runs
those serializers, so nothing but this test keeps the two in step. For every
POST, PUT and PATCH of ``/api/v1/`` (the valid bodies of tests/security/requests_spec.py,
with every optional field the schema documents added where one is given here),
requested as a persona the permission matrix lets succeed:

1. the valid body succeeds, every field it sends is documented, and its values
   match the documented types;
2. every field the view or service reads from the body is documented (the body is
   parsed into a mapping that records each key asked for);
3. every field the schema marks required, left out, is a 400 naming that field;
4. every field the schema marks optional may be left out;
5. every limit the schema documents (maxLength, minimum, maximum, enum, the type)
   is enforced: a value just past it is a 400 naming the field.

Each request runs in a savepoint that is rolled back: every case meets the same world.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from django.core.cache import cache as django_cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from rest_framework import parsers

from tests.security.matrix import MATRIX, PERSONAS
from tests.security.requests_spec import REQUESTS
from tests.security.routes import shape
from tests.security.runner import client_for, concrete_path
from tests.security.world import fill

pytestmark = pytest.mark.django_db

WRITES = ("POST", "PUT", "PATCH")

# Optional fields the valid bodies of requests_spec.py leave out, so that each is
# sent at least once in a request that succeeds.
OPTIONAL_EXTRAS: dict[tuple, dict[str, Any]] = {
    ("POST", "api/v1/symptoms/"): {"recorded_at": "{an_hour_ago}", "temperature_c": 37.2},
    ("POST", "api/v1/medications/"): {"drug": "acetaminophen"},
    ("POST", "api/v1/lab-requests/"): {"priority": "urgent", "alert": "{alert}"},
    ("POST", "api/v1/lab-reports/<int:pk>/release/"): {"note": "Normal results."},
    ("PATCH", "api/v1/me"): {"time_zone": "Europe/Berlin"},
    ("PATCH", "api/v1/inbox/<int:item_id>/"): {"priority": "high", "assignee": "me"},
    ("POST", "api/v1/inbox/bulk/"): {"priority": "high", "assignee": "me"},
}
# Fields a request must send although the schema lists them as optional, each with the
# reason the schema cannot say so; left out, they must be a 400 naming them.
REQUIRED_BEYOND_THE_SCHEMA: dict[tuple, dict[str, str]] = {
    ("PATCH", "api/v1/patients/<int:patient_id>/"): {
        "health": "drf-spectacular makes every PATCH body partial; the operation's description says it is required",
    },
    ("PATCH", "api/v1/patients/<int:patient_id>/", "no_change"): {"health": "as above"},
    ("POST", "api/v1/threads/"): {"patient": "required of clinicians only (a patient leaves it out): its help says so"},
    ("POST", "api/v1/blood-cultures/"): {
        "organism": "one of organism or no_growth is required (this body grew one): its help says so",
        "collected_at": "required for a preliminary result (this one); a final takes its preliminary's: its help says so",
    },
    ("POST", "api/v1/invitations/accept/"): {
        "totp_code": "required by a clinician's or admin's invitation only (this one): its help says so",
    },
}
# Fields a request sends that the schema describes elsewhere than in the body.
NOT_IN_THE_BODY = {"file", "attachments"}  # multipart files: the schema documents them, the parser keeps them apart


@cache
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(node: dict) -> dict:
    while "$ref" in node or ("allOf" in node and len(node["allOf"]) == 1):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = {**openapi()["components"]["schemas"][name], **{k: v for k, v in node.items() if k != "$ref"}}
        else:
            node = {**resolve(node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def body_schema(key: tuple) -> tuple[str, dict]:
    """(media type, resolved schema) of an operation's request body: JSON, or
    multipart for an upload that takes only that."""
    for path, item in openapi()["paths"].items():
        if shape(path) == shape(key[1]) and key[0].lower() in item:
            content = item[key[0].lower()].get("requestBody", {}).get("content", {})
            media = "application/json" if "application/json" in content else next(iter(content))
            return media, resolve(content[media]["schema"])
    raise LookupError(key)


def fields_of(schema: dict, prefix: str = "") -> dict[str, dict]:
    """Every documented field, nested objects' fields as ``outer.inner``."""
    found = {}
    for name, node in schema.get("properties", {}).items():
        node = resolve(node)
        found[prefix + name] = node
        if node.get("type") == "object" and "properties" in node:
            found.update(fields_of(node, prefix=f"{prefix}{name}."))
    return found


def required_of(schema: dict, prefix: str = "") -> set[str]:
    found = {prefix + name for name in schema.get("required", [])}
    for name, node in schema.get("properties", {}).items():
        node = resolve(node)
        if node.get("type") == "object" and f"{prefix}{name}" in found | {""}:
            found |= required_of(node, prefix=f"{prefix}{name}.")
    return found


def as_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: references inlined, ``nullable``
    as a null type, write-only and formats left to the service."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = resolve(node)
    converted = {key: as_json_schema(value) for key, value in node.items() if key not in ("nullable", "format")}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def success_persona(key: tuple) -> str | None:
    for persona, outcome in zip(PERSONAS, MATRIX[key], strict=True):
        if isinstance(outcome, int) and 200 <= outcome < 300:
            return persona
    return None


WRITE_ROWS = sorted(
    key for key in MATRIX if key[0] in WRITES and key[1].startswith("api/v1/") and success_persona(key) is not None
)


# --- Recording what is read ----------------------------------------------------------------

READ: set[str] = set()


class RecordingDict(dict):
    """A parsed JSON object that notes every key asked for (nested objects as ``a.b``)."""

    prefix = ""

    def _note(self, key: object) -> None:
        READ.add(f"{self.prefix}{key}")

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


def recording(value: Any, prefix: str = "") -> Any:
    if isinstance(value, dict):
        wrapped = RecordingDict({key: recording(item, f"{prefix}{key}.") for key, item in value.items()})
        wrapped.prefix = prefix
        return wrapped
    return value


class RecordingQueryDict(QueryDict):
    def get(self, key, default=None):
        READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        READ.add(key)
        return super().getlist(key, default)

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


@pytest.fixture
def record_reads(monkeypatch):
    json_parse = parsers.JSONParser.parse
    multipart_parse = parsers.MultiPartParser.parse

    def parse_json(self, stream, media_type=None, parser_context=None):
        return recording(json_parse(self, stream, media_type, parser_context))

    def parse_multipart(self, stream, media_type=None, parser_context=None):
        parsed = multipart_parse(self, stream, media_type, parser_context)
        data = RecordingQueryDict(mutable=True)
        for key, values in parsed.data.lists():
            data.setlist(key, values)
        return parsers.DataAndFiles(data, parsed.files)

    monkeypatch.setattr(parsers.JSONParser, "parse", parse_json)
    monkeypatch.setattr(parsers.MultiPartParser, "parse", parse_multipart)
    READ.clear()
    return READ


# --- Requests ------------------------------------------------------------------------------


def valid_body(key: tuple, world) -> dict:
    spec = REQUESTS.get(key, {})
    body = dict(spec.get("json") or spec.get("multipart") or {})
    body.update(OPTIONAL_EXTRAS.get(key, {}))
    return fill(body, {**world.ids, **world.fresh_ids()})


def without(body: dict, field: str) -> dict:
    outer, _, inner = field.partition(".")
    if not inner:
        return {name: value for name, value in body.items() if name != outer}
    return {**body, outer: without(body.get(outer) or {}, inner)}


def replaced(body: dict, field: str, value: Any) -> dict:
    outer, _, inner = field.partition(".")
    if not inner:
        return {**body, outer: value}
    return {**body, outer: replaced(body.get(outer) or {}, inner, value)}


def send(key: tuple, world, sessions, body: dict):
    ids = {**world.ids, **world.fresh_ids()}
    path = concrete_path(key, world, ids)
    client = client_for(success_persona(key), sessions, path)
    spec = REQUESTS.get(key, {})
    django_cache.clear()  # rate limits count per request here
    with transaction.atomic():
        if "multipart" in spec:
            data = {name: value for name, value in body.items()}
            field, name, content, content_type = spec["file"]
            data[field] = SimpleUploadedFile(name, content, content_type=content_type)
            response = getattr(client, key[0].lower())(path, data=data, format="multipart")
        else:
            response = getattr(client, key[0].lower())(path, data=body, format="json")
        transaction.set_rollback(True)
    return response


def named(response, field: str) -> bool:
    """Does a 400 name the field? A nested field (``health.asthma``) may be named
    under its object or by its own name (the health service names its fields flat)."""
    try:
        errors = response.json()
    except ValueError:
        return False
    if not isinstance(errors, dict):
        return False
    outer, _, inner = field.partition(".")
    if not inner:
        return outer in errors
    return inner in errors or (outer in errors and (not isinstance(errors[outer], dict) or inner in errors[outer]))


def bad_values(node: dict) -> list[tuple[str, Any]]:
    """(what, value) just past each limit the schema documents for a field."""
    cases: list[tuple[str, Any]] = []
    kind = node.get("type")
    if "enum" in node:
        cases.append(("enum", "not-one-of-them"))
    if "maxLength" in node:
        cases.append(("maxLength", "x" * (node["maxLength"] + 1)))
    if "maximum" in node and abs(node["maximum"]) < 10**5:
        step = 0 if node.get("exclusiveMaximum") else (1 if kind == "integer" else 0.1)
        cases.append(("maximum", round(node["maximum"] + step, 1)))
    if "minimum" in node and abs(node["minimum"]) < 10**5:
        step = 0 if node.get("exclusiveMinimum") else (1 if kind == "integer" else 0.1)
        cases.append(("minimum", round(node["minimum"] - step, 1)))
    if kind == "integer":
        cases.append(("type", "three"))
    elif kind == "boolean":
        cases.append(("type", "perhaps"))
    elif kind == "array":
        cases.append(("type", {"not": "a list"}))
    elif kind == "string" and node.get("format") not in ("binary",) and "enum" not in node:
        cases.append(("type", ["a", "list"]))
    if node.get("format") == "date-time":
        cases.append(("format", "not a time"))
    return cases


def _cases(kind: str) -> list:
    cases = []
    for key in WRITE_ROWS:
        media, schema = body_schema(key)
        fields = fields_of(schema)
        required = required_of(schema)
        label = " ".join(key)
        if kind == "rows":
            cases.append(pytest.param(key, id=label))
        for field, node in fields.items():
            if field in NOT_IN_THE_BODY or node.get("readOnly"):
                continue
            if kind in ("required", "optional") and (field in required) == (kind == "required"):
                cases.append(pytest.param(key, field, id=f"{label} {field}"))
            elif kind == "limits":
                if media != "application/json":
                    node = {k: v for k, v in node.items() if k != "type"}  # a form sends text only
                cases.extend(
                    pytest.param(key, field, value, id=f"{label} {field} {what}") for what, value in bad_values(node)
                )
    return cases


@pytest.fixture(autouse=True)
def _scan_never_late(settings):
    settings.AFTERCARE_READY_SCAN_MAX_AGE_SECONDS = 10**9


@pytest.mark.parametrize("key", _cases("rows"))
def test_a_valid_body_succeeds_and_sends_only_documented_fields(matrix_world, record_reads, key):
    world, sessions = matrix_world
    body = valid_body(key, world)
    documented = set(fields_of(body_schema(key)[1]))
    response = send(key, world, sessions, body)
    assert 200 <= response.status_code < 300, response.content[:500]
    sent = {name for name in body} | {f"{o}.{i}" for o, v in body.items() if isinstance(v, dict) for i in v}
    assert sent - documented == set(), "the valid body sends fields the schema does not document"
    media, schema = body_schema(key)
    if media == "application/json":  # a form's values are text whatever their type
        problems = [error.message for error in jsonschema_rs.Draft4Validator(as_json_schema(schema)).iter_errors(body)]
        assert problems == [], "a body the API accepts does not match its schema"
    assert record_reads - documented - NOT_IN_THE_BODY == set(), "the API reads fields the schema does not document"


@pytest.mark.parametrize(("key", "field"), _cases("required"))
def test_a_required_field_left_out_is_a_400_naming_it(matrix_world, key, field):
    world, sessions = matrix_world
    response = send(key, world, sessions, without(valid_body(key, world), field))
    assert response.status_code == 400, f"{field} is documented as required: {response.status_code}"
    assert named(response, field), response.content[:500]


@pytest.mark.parametrize(("key", "field"), _cases("optional"))
def test_an_optional_field_may_be_left_out(matrix_world, key, field):
    world, sessions = matrix_world
    response = send(key, world, sessions, without(valid_body(key, world), field))
    if field in REQUIRED_BEYOND_THE_SCHEMA.get(key, {}):
        assert response.status_code == 400 and named(response, field), response.content[:500]
        return
    assert 200 <= response.status_code < 300, f"{field} is documented as optional: {response.content[:500]}"


@pytest.mark.parametrize(("key", "field", "value"), _cases("limits"))
def test_a_documented_limit_is_enforced(matrix_world, key, field, value):
    world, sessions = matrix_world
    response = send(key, world, sessions, replaced(valid_body(key, world), field, value))
    assert response.status_code == 400, f"{field}={json.dumps(value)[:60]} passed: {response.content[:300]}"
    assert named(response, field), response.content[:500]
