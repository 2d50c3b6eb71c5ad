"""POST /api/v1/patients/: a clinician enrols a patient (API.md "Accounts: enrolment")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from patients.models import CareTeamGrant, Patient
from portal.accounts.models import Invitation, Role, User
from portal.audit.models import AuditEvent

URL = "/api/v1/patients/"


def enrolment(**changes):
    body = {
        "email": "new.patient@example.test",
        "first_name": "Robin",
        "last_name": "Lee",
        "date_of_birth": "1975-03-02",
        "sex": "female",
        "procedure": {
            "performed_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
            "needle_type": "atraumatic",
            "needle_gauge": 22,
        },
    }
    body.update(changes)
    return body


def test_clinician_enrols_a_patient(clinician, clinician_api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician_api.post(URL, enrolment(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert patient.user.role == Role.PATIENT
    assert not patient.user.has_usable_password()
    assert body["procedure"]["needle_type"] == "atraumatic" and body["procedure"]["needle_gauge"] == 22
    assert body["day_since_procedure"] == 0
    # The enrolling clinician is on the care team (and the patient can revoke it).
    grant = CareTeamGrant.objects.get(patient=patient)
    assert grant.clinician == clinician and grant.granted_by == clinician and grant.revoked_at is None
    # One invitation email with a one-time link, and no health data in it.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.patient@example.test"]
    assert "/invitations/" in mailoutbox[0].body
    assert "atraumatic" not in mailoutbox[0].body
    invitation = Invitation.objects.get(user=patient.user)
    assert (invitation.expires_at - invitation.created_at) == timedelta(days=7)
    assert AuditEvent.objects.filter(action="care_team.granted", patient_id=patient.pk).exists()


def test_no_email_when_enrolment_fails(clinician_api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician_api.post(URL, enrolment(sex="unknown"), format="json")
    assert response.status_code == 400
    assert mailoutbox == []
    assert not User.objects.filter(email="new.patient@example.test").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "patient.a@example.test"}, "email"),  # already has an account
        ({"first_name": ""}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "02/03/1975"}, "date_of_birth"),
        ({"sex": "x"}, "sex"),
        ({"procedure": None}, "procedure"),
        ({"procedure": {"needle_type": "atraumatic", "needle_gauge": 22}}, "procedure"),
        (
            {"procedure": {"performed_at": "2026-01-01T00:00:00Z", "needle_type": "blunt", "needle_gauge": 22}},
            "procedure",
        ),
        (
            {"procedure": {"performed_at": "2026-01-01T00:00:00Z", "needle_type": "cutting", "needle_gauge": 40}},
            "procedure",
        ),
        (
            {"procedure": {"performed_at": "2999-01-01T00:00:00Z", "needle_type": "cutting", "needle_gauge": 22}},
            "procedure",
        ),
    ],
)
def test_enrolment_validation(patient, clinician_api, changes, field):
    response = clinician_api.post(URL, enrolment(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Patient.objects.count() == 1  # only the persona


def test_patients_cannot_enrol(patient_api):
    assert patient_api.post(URL, enrolment(), format="json").status_code == 403


def test_clinician_without_mfa_cannot_enrol(client_for, clinician_without_mfa):
    response = client_for(clinician_without_mfa).post(URL, enrolment(), format="json")
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"
