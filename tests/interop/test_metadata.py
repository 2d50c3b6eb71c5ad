"""GET /fhir/R4/metadata: a valid CapabilityStatement naming exactly what is served."""

from __future__ import annotations

import pytest
from django.urls import get_resolver
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.interop.conftest import FHIR, everything_url

pytestmark = pytest.mark.django_db


def test_the_capability_statement_is_valid_and_public(anon_client):
    response = anon_client.get("/fhir/R4/metadata", HTTP_ACCEPT=FHIR)
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate_json(response.content)
    assert statement.fhirVersion == "4.0.1"
    assert statement.format == ["application/fhir+json", "json"]


def test_it_lists_exactly_the_resources_the_export_produces(anon_client, client_for, patient, record):
    statement = anon_client.get("/fhir/R4/metadata").json()
    (rest,) = statement["rest"]
    listed = {resource["type"] for resource in rest["resource"]}
    exported = {
        entry["resource"]["resourceType"]
        for entry in client_for(patient.user).get(everything_url(patient.pk), HTTP_ACCEPT=FHIR).json()["entry"]
    }
    assert listed == exported | {"Questionnaire"}
    patient_entry = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert [op["name"] for op in patient_entry["operation"]] == ["everything"]
    assert not any("interaction" in r for r in rest["resource"] if r["type"] not in ("Questionnaire",))
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]


def test_every_fhir_route_is_in_the_statement():
    """The routes of interop/urls.py: the transaction (the base), metadata, the
    Questionnaire read and Patient/$everything, and no others."""
    (fhir,) = [p for p in get_resolver().url_patterns if str(p.pattern) == "fhir/R4/"]
    routes = sorted(str(p.pattern) for p in fhir.url_patterns)
    assert routes == ["", "Patient/<str:patient_id>/$everything", "Questionnaire/<str:questionnaire_id>", "metadata"]


def test_only_the_diary_questionnaire_is_served(anon_client):
    assert anon_client.get("/fhir/R4/Questionnaire/aftercare-diary").status_code == 200
    missing = anon_client.get("/fhir/R4/Questionnaire/other")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"
