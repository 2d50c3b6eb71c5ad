"""Every endpoint against every persona (API.md "Errors" and DESIGN.md access):
another patient and a clinician outside the care team get 404; after a revoke,
404 at once; a clinician without MFA 403 ``mfa_required``; anonymous 401."""

from __future__ import annotations

import pytest

from patients.models import CareTeamGrant
from tests.factories import SymptomEntryFactory, diary_answers

# Endpoints about ``patient``'s record: (method, path template, body). The path
# may use {patient}, {entry} and {grant}.
ABOUT_PATIENT = [
    ("get", "/api/v1/patients/{patient}/", None),
    ("patch", "/api/v1/patients/{patient}/", {"health": {"asthma": True}}),
    ("get", "/api/v1/symptoms/?patient={patient}", None),
    ("get", "/api/v1/symptoms/trend/?patient={patient}", None),
    ("get", "/api/v1/medications/?patient={patient}", None),
    ("get", "/api/v1/pain-plan/?patient={patient}", None),
    ("post", "/api/v1/symptoms/{entry}/entered-in-error/", {"reason": "test"}),
]
# Endpoints a patient uses for themselves only.
OWN_ONLY = [
    ("get", "/api/v1/care-team/", None),
    ("post", "/api/v1/care-team/", {"clinician": 1}),
    ("delete", "/api/v1/care-team/{grant}/", None),
    ("post", "/api/v1/symptoms/", diary_answers(back_pain=1, headache=1)),
    ("post", "/api/v1/medications/", {"medication_class": "caffeine", "dose_mg": 50}),
    ("get", "/api/v1/access-log/", None),
]
LISTS = [
    ("get", "/api/v1/patients/", None),
]
ALL = ABOUT_PATIENT + OWN_ONLY + LISTS + [("post", "/api/v1/patients/", {})]


@pytest.fixture
def target(patient, clinician):
    entry = SymptomEntryFactory(patient=patient)
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    return {"patient": patient.pk, "entry": entry.pk, "grant": grant.pk}


def call(api, method, path, body, target):
    return getattr(api, method)(path.format(**target), body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ABOUT_PATIENT)
def test_another_patient_gets_404(client_for, other_patient, target, method, path, body):
    assert call(client_for(other_patient.user), method, path, body, target).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), ABOUT_PATIENT)
def test_outsider_clinician_gets_404(client_for, outsider_clinician, target, method, path, body):
    assert call(client_for(outsider_clinician), method, path, body, target).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), ABOUT_PATIENT)
def test_care_team_clinician_gets_through(clinician_api, target, method, path, body):
    assert call(clinician_api, method, path, body, target).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), ABOUT_PATIENT)
def test_the_patient_gets_through(patient_api, target, method, path, body):
    assert call(patient_api, method, path, body, target).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), ABOUT_PATIENT)
def test_after_a_revoke_404_at_once(patient_api, clinician_api, target, method, path, body):
    assert patient_api.delete(f"/api/v1/care-team/{target['grant']}/").status_code == 204
    assert call(clinician_api, method, path, body, target).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), ALL)
def test_clinician_without_mfa_gets_403_mfa_required(client_for, clinician_without_mfa, target, method, path, body):
    response = call(client_for(clinician_without_mfa), method, path, body, target)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


@pytest.mark.parametrize(("method", "path", "body"), ALL)
def test_anonymous_gets_401(anon_client, target, method, path, body):
    assert call(anon_client, method, path, body, target).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), OWN_ONLY)
def test_clinicians_cannot_use_patient_only_endpoints(clinician_api, target, method, path, body):
    assert call(clinician_api, method, path, body, target).status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), ALL)
def test_admins_see_no_patient_data(client_for, admin, target, method, path, body):
    response = call(client_for(admin), method, path, body, target)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_lists_show_only_what_the_caller_may_see(client_for, patient, other_patient, clinician, outsider_clinician):
    assert client_for(outsider_clinician).get("/api/v1/patients/").json()["count"] == 0
    assert [p["id"] for p in client_for(clinician).get("/api/v1/patients/").json()["results"]] == [patient.pk]
    assert [p["id"] for p in client_for(other_patient.user).get("/api/v1/patients/").json()["results"]] == [
        other_patient.pk
    ]


def test_a_patient_cannot_name_another_patient(client_for, patient, other_patient):
    api = client_for(other_patient.user)
    for path in ("/api/v1/symptoms/", "/api/v1/symptoms/trend/", "/api/v1/pain-plan/", "/api/v1/medications/"):
        assert api.get(path, {"patient": patient.pk}).status_code == 404
        assert api.get(path, {"patient": "abc"}).status_code == 404
