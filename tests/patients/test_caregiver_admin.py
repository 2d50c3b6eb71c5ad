"""Admin: caregivers listed with their patients; revoking; deactivation as any account."""

from __future__ import annotations

from django.test import Client

from patients.models import CaregiverGrant
from portal.accounts.models import Role
from tests.factories import UserFactory
from tests.sessions import sign_in


def test_admin_lists_caregivers_with_their_patients_and_revokes(admin, patient, client_for):
    caregiver = UserFactory(role=Role.CAREGIVER, first_name="Casey", last_name="Lin")
    grant = CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    page = Client()
    sign_in(page, admin)
    listing = page.get("/admin/patients/caregivergrant/").content.decode()
    assert "Casey Lin" in listing and str(patient) in listing
    assert "Caregiver" in page.get("/admin/accounts/user/?role__exact=caregiver").content.decode()
    page.post("/admin/patients/caregivergrant/", {"action": "revoke", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_a_deactivated_caregiver_follows_nobody(admin, patient, client_for):
    caregiver = UserFactory(role=Role.CAREGIVER)
    CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    api = client_for(caregiver)
    assert api.get(f"/api/v1/symptoms/?patient={patient.pk}").status_code == 200
    page = Client()
    sign_in(page, admin)
    page.post(
        "/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [caregiver.pk], "confirm": "yes"}
    )
    caregiver.refresh_from_db()
    assert not caregiver.is_active
    assert api.get(f"/api/v1/symptoms/?patient={patient.pk}").status_code in (401, 403)
