"""What the API fuzzing found, kept as plain regression tests, and one systematic
probe it suggested: a NUL character in any query parameter or any string field of
a valid body is bad input (a 4xx), never a PostgreSQL error (a 500).

Each finding names the request that caused a server error or a schema mismatch
before the fix (see SECURITY.md, "What the fuzzing found").
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.factories import diary_answers
from tests.security.requests_spec import REQUESTS
from tests.security.routes import schema_operations
from tests.security.runner import concrete_path
from tests.security.world import fill
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_persona(world):
    def client(persona: str) -> APIClient:
        api = APIClient()
        sign_in(api, world.users[persona])
        return api

    return client


# (persona, method, path, body or query, expected status)
FINDINGS = [
    # enrolment: a list for an email, and a well-formed but impossible date, were 500s
    (
        "care_team",
        "post",
        "/api/v1/patients/",
        {
            "email": [None, None],
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": "2000-01-01",
            "sex": "female",
            "procedure": {"performed_at": "{an_hour_ago}", "needle_type": "atraumatic", "needle_gauge": 22},
        },
        400,
    ),
    (
        "care_team",
        "post",
        "/api/v1/patients/",
        {
            "email": "x@example.test",
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": "2000-02-30",
            "sex": "female",
            "procedure": {"performed_at": "{an_hour_ago}", "needle_type": "atraumatic", "needle_gauge": 22},
        },
        400,
    ),
    # a UTC offset of -23:01 is valid ISO 8601 but beyond what PostgreSQL stores
    (
        "care_team",
        "post",
        "/api/v1/patients/",
        {
            "email": "offset@example.test",
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": "2000-01-01",
            "sex": "female",
            "procedure": {"performed_at": "2020-01-01T18:00:00.0-23:01", "needle_type": "cutting", "needle_gauge": 18},
        },
        201,
    ),
    # a temperature of 1e272 °F overflowed the conversion's rounding; 5000 digits overflowed int()
    ("patient_a", "post", "/api/v1/symptoms/", diary_answers(back_pain=1, headache=1, temperature_f=-7.6e272), 400),
    ("patient_a", "post", "/api/v1/symptoms/", diary_answers(back_pain="9" * 5000, headache=1), 400),
    ("patient_a", "post", "/api/v1/symptoms/", diary_answers(back_pain=1, headache=1, recorded_at=""), 400),
    (
        "patient_a",
        "post",
        "/api/v1/medications/",
        {"medication_class": "acetaminophen", "dose_mg": 1, "taken_at": ""},
        400,
    ),
    # a NUL character in a threshold's rule code and in a patient search reached PostgreSQL
    ("care_team", "put", "/api/v1/patients/{patient_a}/thresholds/", {"rule": "\x00fever", "value": None}, 400),
    ("care_team", "get", "/api/v1/patients/", {"q": "av\x00ery"}, 400),
    ("patient_a", "post", "/api/v1/symptoms/", diary_answers(back_pain=1, headache=1, notes="a\x00b"), 400),
    # silently ignored bad input: now a 400 naming the field
    ("care_team", "get", "/api/v1/lab-reports/", {"page_size": "many"}, 400),
    ("patient_a", "get", "/api/v1/care-team/", {"include_revoked": "maybe"}, 400),
]


@pytest.mark.parametrize(("persona", "method", "path", "data", "expected"), FINDINGS)
def test_finding_stays_fixed(world, as_persona, persona, method, path, data, expected):
    client = as_persona(persona)
    path = fill(path, world.ids)
    data = fill(data, world.ids)
    send = getattr(client, method)
    response = send(path, data) if method == "get" else send(path, data, format="json")
    assert response.status_code == expected, response.content[:300]
    if expected == 400:
        assert set(response.json()) - {"non_field_errors"} or response.json().get("non_field_errors")


def test_alert_lists_match_their_schema_for_both_readers(world, as_persona):
    """The alerts list documented the care team's shape only; a patient's alerts lack
    ``patient_message`` (and who acted may be null)."""
    from drf_spectacular.generators import SchemaGenerator
    from jsonschema import Draft202012Validator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ref = schema["paths"]["/api/v1/alerts/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    item = schema["components"]["schemas"][ref["items"]["$ref"].rsplit("/", 1)[1]]
    validator = Draft202012Validator(openapi_to_json_schema({**item, "components": schema["components"]}))
    for persona in ("patient_a", "care_team"):
        for alert in as_persona(persona).get("/api/v1/alerts/").json():
            assert not list(validator.iter_errors(json.loads(json.dumps(alert)))), (persona, alert)


def openapi_to_json_schema(node):
    """OpenAPI 3.0's ``nullable: true`` is JSON Schema's ``null`` type."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


# --- NUL characters everywhere ---------------------------------------------------------------


def _query_parameters():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield method.upper(), path, parameter["name"]


QUERY_PARAMETERS = sorted(set(_query_parameters()))
BODIES = sorted(
    (key for key in REQUESTS if key[1].startswith("api/v1/") and "json" in REQUESTS[key]),
    key=lambda key: (key[1], key[0], key[2:]),
)


@pytest.mark.parametrize(("method", "path", "name"), QUERY_PARAMETERS)
@pytest.mark.parametrize("persona", ["patient_a", "care_team"])
def test_nul_in_a_query_parameter_is_never_a_server_error(world, as_persona, persona, method, path, name):
    path = path.replace("{patient_id}", "{patient_a}").replace("{id}", "{report}")
    for param in ("thread_id", "entry_id", "item_id", "alert_id", "grant_id", "attachment_id"):
        path = path.replace(
            "{" + param + "}",
            "{" + {"item_id": "inbox_item", "grant_id": "grant"}.get(param, param.removesuffix("_id")) + "}",
        )
    response = getattr(as_persona(persona), method.lower())(fill(path, world.ids) + f"?{name}=a%00b")
    assert response.status_code < 500


@pytest.mark.parametrize("key", BODIES, ids=lambda key: " ".join(key))
def test_nul_in_any_string_of_a_valid_body_is_never_a_server_error(world, as_persona, key):
    body = fill(REQUESTS[key]["json"], world.ids)
    path = concrete_path(key, world)
    strings = [name for name, value in body.items() if isinstance(value, str)]
    for persona in ("patient_a", "care_team"):
        for name in strings:
            response = getattr(as_persona(persona), key[0].lower())(
                path, {**body, name: body[name] + "\x00"}, format="json"
            )
            assert response.status_code < 500, (persona, name, response.content[:200])


def test_the_probes_cover_the_api():
    operations = {path for _, path in schema_operations()}
    assert len(QUERY_PARAMETERS) >= 10
    assert len(BODIES) >= 10
    assert operations
