"""GET/PATCH /api/v1/patients/<id>/: the profile and the health factors."""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEvent


def url(patient):
    return f"/api/v1/patients/{patient.pk}/"


def test_profile_has_procedure_and_health(patient, patient_api):
    body = patient_api.get(url(patient)).json()
    assert body["id"] == patient.pk
    assert set(body["procedure"]) >= {"performed_at", "needle_type", "needle_gauge"}
    assert body["health"]["allergies"] == []
    assert body["health"]["pregnancy_weeks"] is None
    assert body["day_since_procedure"] == 1


def test_patient_updates_some_health_factors(patient, patient_api):
    response = patient_api.patch(
        url(patient),
        {
            "health": {
                "allergies": ["nsaid", "aspirin"],
                "asthma": True,
                "pregnancy_weeks": 14,
                "preferences": "avoid drugs",
            }
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    health = response.json()["health"]
    assert health["allergies"] == ["aspirin", "nsaid"]
    assert health["asthma"] is True and health["pregnancy_weeks"] == 14
    assert health["kidney_disease"] is False  # untouched
    patient.refresh_from_db()
    assert patient.asthma and patient.preferences == "avoid drugs"


def test_clinician_updates_health_and_it_is_audited(patient, clinician, clinician_api):
    response = clinician_api.patch(url(patient), {"health": {"kidney_disease": True}}, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="patient.health_updated", patient_id=patient.pk).exists()


def test_clinician_read_is_audited(patient, clinician, clinician_api):
    clinician_api.get(url(patient))
    assert AuditEvent.objects.filter(actor=clinician, action="patient.read", patient_id=patient.pk).count() == 1


@pytest.mark.parametrize(
    ("health", "field"),
    [
        ({"allergies": ["peanuts"]}, "allergies"),
        ({"allergies": "nsaid"}, "allergies"),
        ({"asthma": "sometimes"}, "asthma"),
        ({"pregnancy_weeks": 50}, "pregnancy_weeks"),
        ({"pregnancy_weeks": -1}, "pregnancy_weeks"),
        ({"pregnancy_weeks": "ten"}, "pregnancy_weeks"),
        ({"preferences": "x" * 2001}, "preferences"),
        ({"preferences": 5}, "preferences"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_health_validation(patient, patient_api, health, field):
    response = patient_api.patch(url(patient), {"health": health}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_health_must_be_given(patient, patient_api):
    for body in ({}, {"health": "yes"}):
        response = patient_api.patch(url(patient), body, format="json")
        assert response.status_code == 400 and "health" in response.json()


def test_nothing_is_half_saved(patient, patient_api):
    patient_api.patch(url(patient), {"health": {"asthma": True, "pregnancy_weeks": 99}}, format="json")
    patient.refresh_from_db()
    assert patient.asthma is False
