"""The care team: the patient adds and revokes clinicians; access ends at once."""

from __future__ import annotations

from patients.models import CareTeamGrant
from portal.audit.models import AuditEvent
from tests.factories import ClinicianFactory, UserFactory

URL = "/api/v1/care-team/"


def test_patient_lists_their_care_team(patient_api, clinician, anesthesiologist):
    body = patient_api.get(URL).json()
    assert {row["clinician"]["id"] for row in body} == {clinician.pk, anesthesiologist.pk}
    assert all(row["active"] for row in body)


def test_patient_adds_a_clinician(patient, patient_api):
    newcomer = ClinicianFactory(specialty="nursing")
    response = patient_api.post(URL, {"clinician": newcomer.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["clinician"]["id"] == newcomer.pk
    grant = CareTeamGrant.objects.get(pk=response.json()["id"])
    assert grant.granted_by == patient.user
    event = AuditEvent.objects.get(action="care_team.granted")
    assert event.patient_id == patient.pk and event.actor == patient.user


def test_new_clinician_sees_the_patient_at_once(patient, patient_api, client_for):
    newcomer = ClinicianFactory()
    api = client_for(newcomer)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    patient_api.post(URL, {"clinician": newcomer.pk}, format="json")
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200


def test_adding_twice_is_a_400(patient_api, clinician):
    response = patient_api.post(URL, {"clinician": clinician.pk}, format="json")
    assert response.status_code == 400 and "clinician" in response.json()


def test_only_clinicians_can_be_added(patient_api, other_patient):
    for value in (other_patient.user.pk, UserFactory(is_active=False).pk, 999999, "abc", None, True):
        response = patient_api.post(URL, {"clinician": value}, format="json")
        assert response.status_code == 400, value
        assert "clinician" in response.json()


def test_inactive_clinicians_cannot_be_added(patient_api):
    retired = ClinicianFactory(is_active=False)
    assert patient_api.post(URL, {"clinician": retired.pk}, format="json").status_code == 400


def test_revoke_ends_access_at_once(patient, patient_api, clinician, clinician_api):
    assert clinician_api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    response = patient_api.delete(f"{URL}{grant.pk}/")
    assert response.status_code == 204
    # The same client, the same session: the very next request is a 404.
    assert clinician_api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert clinician_api.get("/api/v1/symptoms/", {"patient": patient.pk}).status_code == 404
    assert clinician_api.get("/api/v1/patients/").json()["count"] == 0
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == patient.user
    event = AuditEvent.objects.get(action="care_team.revoked")
    assert event.patient_id == patient.pk
    # The history stays; the revoked grant is listed on request.
    assert patient_api.get(URL).json() == [row for row in patient_api.get(URL).json() if row["active"]]
    revoked = [row for row in patient_api.get(URL, {"include_revoked": "1"}).json() if not row["active"]]
    assert [row["id"] for row in revoked] == [grant.pk]


def test_revoke_then_grant_again(patient, patient_api, clinician):
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    patient_api.delete(f"{URL}{grant.pk}/")
    assert patient_api.post(URL, {"clinician": clinician.pk}, format="json").status_code == 201


def test_revoking_a_revoked_or_unknown_grant_is_404(patient, patient_api, clinician):
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    patient_api.delete(f"{URL}{grant.pk}/")
    assert patient_api.delete(f"{URL}{grant.pk}/").status_code == 404
    assert patient_api.delete(f"{URL}999999/").status_code == 404


def test_another_patient_cannot_revoke(patient, clinician, other_patient, client_for):
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    assert client_for(other_patient.user).delete(f"{URL}{grant.pk}/").status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None
