"""GET /api/v1/access-log/: who looked at the patient's record."""

from __future__ import annotations

URL = "/api/v1/access-log/"


def test_clinician_reads_appear_in_the_log(patient, patient_api, clinician, clinician_api):
    clinician_api.get(f"/api/v1/patients/{patient.pk}/")
    clinician_api.get("/api/v1/symptoms/", {"patient": patient.pk})
    rows = patient_api.get(URL).json()
    assert [r["action"] for r in rows[:2]] == ["symptoms.read", "patient.read"]
    assert rows[0]["actor"] == clinician.display_name
    assert rows[0]["role"] == "clinician"
    assert rows[0]["description"] == "read your symptom diary"
    assert set(rows[0]) >= {"at", "actor", "role", "action", "object"}


def test_own_reads_are_not_listed(patient, patient_api):
    patient_api.get(f"/api/v1/patients/{patient.pk}/")
    patient_api.get("/api/v1/symptoms/")
    assert patient_api.get(URL).json() == []


def test_other_patients_events_are_not_listed(patient, other_patient, client_for, outsider_clinician):
    from portal.audit.services import record_audit

    record_audit(actor=outsider_clinician, action="patient.read", patient_id=other_patient.pk)
    assert client_for(patient.user).get(URL).json() == []


def test_grants_and_revocations_are_listed(patient, patient_api, clinician):
    from patients.models import CareTeamGrant

    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    # The patient's own revocation is not "someone else"; an admin's assignment would be.
    patient_api.delete(f"/api/v1/care-team/{grant.pk}/")
    assert patient_api.get(URL).json() == []


def test_clinicians_have_no_access_log(clinician_api):
    assert clinician_api.get(URL).status_code == 403


def test_grant_lines_name_the_clinician(patient, patient_api, clinician):
    from patients.services import grant_care_team
    from tests.factories import ClinicianFactory

    newcomer = ClinicianFactory(first_name="Nia", last_name="Nurse", specialty="nursing")
    grant_care_team(patient=patient, clinician=newcomer, granted_by=clinician)
    row = patient_api.get(URL).json()[0]
    assert row["description"] == "added Nia Nurse (Nursing) to your care team"
    assert row["actor"] == clinician.display_name


def test_the_page_reads_as_sentences(client_for, patient, clinician):
    """Issue 17: "Nora Quinn, neurology, read your lab report on 5 Dec at 14:05", not a system log."""
    from portal.audit.services import record_audit

    record_audit(actor=clinician, action="lab_report.read", patient_id=patient.pk)
    page = client_for(patient.user).get("/access-log/").content.decode()
    name = clinician.get_full_name()
    assert f"<strong>{name}, {clinician.get_specialty_display().lower()}</strong> read your lab report on " in page
    assert "lab report: read" not in page
