"""Admin: clinical content is editable; an admin may assign a clinician (audited)."""

from __future__ import annotations

from django.test import Client

from patients.models import CareTeamGrant
from portal.audit.models import AuditEvent
from tests.factories import ClinicianFactory
from tests.sessions import sign_in


def admin_client(admin):
    client = Client()
    sign_in(client, admin)
    return client


def test_clinical_content_pages_open(admin):
    client = admin_client(admin)
    for url in (
        "/admin/patients/medicationpolicy/",
        "/admin/patients/medicationpolicy/1/change/",
        "/admin/patients/nondrugoption/",
        "/admin/patients/careteamgrant/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_assigns_a_clinician_through_the_service(admin, patient):
    nurse = ClinicianFactory(specialty="nursing")
    response = admin_client(admin).post(
        "/admin/patients/careteamgrant/add/", {"patient": patient.pk, "clinician": nurse.pk}
    )
    assert response.status_code == 302
    grant = CareTeamGrant.objects.get(patient=patient, clinician=nurse)
    assert grant.granted_by == admin
    assert AuditEvent.objects.filter(action="care_team.granted", actor=admin, patient_id=patient.pk).exists()


def test_admin_revokes(admin, patient, clinician):
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    admin_client(admin).post("/admin/patients/careteamgrant/", {"action": "revoke", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == admin


def test_no_health_data_in_the_admin(admin, patient):
    client = admin_client(admin)
    assert client.get("/admin/patients/symptomentry/").status_code == 404
    assert client.get("/admin/patients/medicationdose/").status_code == 404
    html = client.get(f"/admin/patients/patient/{patient.pk}/change/").content.decode()
    assert "kidney" not in html.lower() and "allerg" not in html.lower()
