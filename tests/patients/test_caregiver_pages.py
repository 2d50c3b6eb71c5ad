"""Caregiver pages: the patient's caregivers page, the caregiver's view of the
patient's pages with the patient chosen, the switcher, and the marks on entries."""

from __future__ import annotations

import pytest
from django.test import Client

from patients.models import CaregiverGrant, SymptomEntry
from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from tests.factories import PatientFactory, UserFactory
from tests.security.requests_spec import DIARY_FORM
from tests.sessions import sign_in


def browser(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def caregiver(db):
    return UserFactory(role=Role.CAREGIVER, first_name="Casey", last_name="Lin")


def test_the_patient_invites_changes_and_revokes_with_a_confirmation(
    patient, django_capture_on_commit_callbacks, mailoutbox
):
    page = browser(patient.user)
    assert page.get("/caregivers/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            "/caregivers/", {"first_name": "Casey", "last_name": "Lin", "email": "casey@example.test"}, follow=True
        )
    assert "Casey Lin is now your caregiver" in response.content.decode()
    assert len(mailoutbox) == 1
    grant = CaregiverGrant.objects.get()
    assert not grant.can_log_symptoms
    page.post(f"/caregivers/{grant.pk}/", {f"g{grant.pk}-can_log_symptoms": "on"})
    grant.refresh_from_db()
    assert grant.can_log_symptoms and not grant.can_message
    # Inviting oneself: the form again with the reason, nothing created.
    again = page.post("/caregivers/", {"first_name": "Me", "email": patient.user.email})
    assert again.status_code == 200 and "your own address" in again.content.decode()
    confirm = page.get(f"/caregivers/{grant.pk}/revoke/")
    assert confirm.status_code == 200 and "End Casey Lin" in confirm.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is None  # asking changes nothing
    page.post(f"/caregivers/{grant.pk}/revoke/")
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert page.get(f"/caregivers/{grant.pk}/revoke/").status_code == 404


def test_a_caregiver_sees_the_chosen_patients_pages_and_never_the_rest(patient, caregiver):
    CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    page = browser(caregiver)
    history = page.get("/history/")
    assert history.status_code == 200
    body = history.content.decode()
    assert "as their caregiver" in body and patient.user.get_full_name() in body
    assert "Log how" not in body  # follow only
    assert page.get("/pain-plan/").status_code == 200
    assert page.get("/diary/").status_code == 403
    for url in ("/access-log/", "/care-team/", "/caregivers/", "/medications/", "/pain-plan/health/"):
        assert page.get(url).status_code == 403, url
    assert set(AuditEvent.objects.filter(actor=caregiver).values_list("action", flat=True)) == {
        "symptoms.read",
        "pain_plan.read",
    }
    assert "People you help" in page.get("/").content.decode()


def test_a_caregiver_logs_and_the_entry_is_marked_for_the_patient_and_the_clinician(patient, caregiver, clinician):
    CaregiverGrant.objects.create(patient=patient, caregiver=caregiver, can_log_symptoms=True)
    page = browser(caregiver)
    form = page.get("/diary/")
    assert form.status_code == 200 and "entered by you, their caregiver" in form.content.decode()
    saved = page.post("/diary/", DIARY_FORM)
    assert saved.status_code == 200
    entry = SymptomEntry.objects.get()
    assert entry.patient == patient and entry.entered_by == caregiver and entry.entered_by_role == "caregiver"
    mark = "Entered by Casey Lin (caregiver)"
    assert mark in browser(patient.user).get("/history/").content.decode()
    chart = browser(clinician).get(f"/patients/{patient.pk}/").content.decode()
    assert mark in chart and "Casey Lin (caregiver)</li>" in chart


def test_revoked_the_next_page_is_404(patient, caregiver):
    grant = CaregiverGrant.objects.create(patient=patient, caregiver=caregiver, can_log_symptoms=True)
    page = browser(caregiver)
    assert page.get("/history/").status_code == 200
    browser(patient.user).post(f"/caregivers/{grant.pk}/revoke/")
    assert page.get("/history/").status_code == 404
    assert page.get("/diary/").status_code == 404
    assert page.post("/diary/", DIARY_FORM).status_code == 404
    assert not SymptomEntry.objects.exists()


def test_several_people_a_switcher_and_a_patient_keeps_their_own_record(patient):
    follower = PatientFactory(user__first_name="Sam")
    other = PatientFactory(user__first_name="Robin")
    CaregiverGrant.objects.create(patient=patient, caregiver=follower.user)
    CaregiverGrant.objects.create(patient=other, caregiver=follower.user)
    page = browser(follower.user)
    own = page.get("/history/").content.decode()
    assert "as their caregiver" not in own  # nothing chosen: their own diary
    switcher = page.get("/caregiving/").content.decode()
    assert patient.user.first_name in switcher and "Robin" in switcher
    page.post("/caregiving/", {"patient": other.pk})
    assert "Robin" in page.get("/history/").content.decode()
    assert page.get("/medications/").status_code == 200  # their own medicines, never Robin's
    page.get("/")  # home is one's own record again
    assert "as their caregiver" not in page.get("/history/").content.decode()
    stranger = PatientFactory()
    page.post("/caregiving/", {"patient": stranger.pk})
    assert "as their caregiver" not in page.get("/history/").content.decode()


def test_a_caregiver_following_several_chooses_first(patient):
    caregiver = UserFactory(role=Role.CAREGIVER)
    CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    CaregiverGrant.objects.create(patient=PatientFactory(), caregiver=caregiver)
    response = browser(caregiver).get("/history/")
    assert response.status_code == 302 and response["Location"] == "/caregiving/"


def test_a_caregiver_reads_the_patients_alerts_and_not_after_revoking(
    patient, caregiver, seeded_rules, real_rule_engine
):
    from alerts.models import Alert
    from alerts.services import evaluate_entry
    from tests.factories import SymptomEntryFactory

    grant = CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    alert = Alert.objects.get(pk=evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True)).alert_ids[0])
    page = browser(caregiver)
    listing = page.get("/alerts/").content.decode()
    assert f"{patient.user.first_name}'s alerts" in listing and f"/alerts/{alert.pk}/" in listing
    detail = page.get(f"/alerts/{alert.pk}/")
    assert detail.status_code == 200 and "/labs/requests/new/" not in detail.content.decode()
    assert {"alerts.read", "alert.read"} <= set(
        AuditEvent.objects.filter(actor=caregiver).values_list("action", flat=True)
    )
    other = Alert.objects.get(
        pk=evaluate_entry(SymptomEntryFactory(patient=PatientFactory(), leg_weakness=True)).alert_ids[0]
    )
    assert page.get(f"/alerts/{other.pk}/").status_code == 404
    grant.revoked_at = grant.created_at
    grant.save()
    assert page.get("/alerts/").status_code == 404
    assert page.get(f"/alerts/{alert.pk}/").status_code == 404


def test_a_caregiver_reads_released_lab_results_only(patient, caregiver, clinician):
    from labs.services import release_lab_report, upload_lab_report
    from tests.reference_data import seed_reference_data

    seed_reference_data()
    CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)

    def upload():
        return upload_lab_report(
            uploaded_by=clinician,
            patient=patient,
            kind="csf",
            collected_at=patient.procedures.first().performed_at,
            values=[{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}],
            file_content=b"CSF analysis\n",
            file_name="csf.txt",
        )

    released, unreleased = upload(), upload()
    release_lab_report(report=released, released_by=clinician)
    page = browser(caregiver)
    listing = page.get("/labs/").content.decode()
    assert f"{patient.user.first_name}'s lab results" in listing
    assert f"/labs/reports/{released.pk}/" in listing and f"/labs/reports/{unreleased.pk}/" not in listing
    detail = page.get(f"/labs/reports/{released.pk}/")
    assert detail.status_code == 200 and "Download the report" not in detail.content.decode()
    assert page.get(f"/labs/reports/{unreleased.pk}/").status_code == 404
    assert page.get(f"/labs/reports/{released.pk}/file/").status_code == 403
