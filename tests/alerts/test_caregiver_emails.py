"""A caregiver may choose the patient's urgent-alert emails (issue 20, point 4): a link
to their list of the people they help, no health data; a revoked one gets none."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from alerts.models import Alert
from alerts.services import evaluate_entry
from patients.models import CaregiverGrant
from portal.accounts.models import Role
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.models import Notification
from tests.factories import PatientFactory, SymptomEntryFactory, UserFactory
from tests.sessions import sign_in


def raise_alert(patient, **answers) -> Alert:
    result = evaluate_entry(SymptomEntryFactory(patient=patient, **answers))
    return Alert.objects.get(pk=result.alert_ids[0])


def caregiver_emails(alert: Alert) -> set[str]:
    rows = Notification.objects.filter(source_id=str(alert.pk), kind="caregiver_alert_urgent")
    return {row.recipient.email for row in rows}


def test_only_caregivers_who_chose_them_get_urgent_alert_emails(patient, seeded_rules, mailoutbox):
    wants = UserFactory(role=Role.CAREGIVER, email="wants@example.test")
    quiet = UserFactory(role=Role.CAREGIVER, email="quiet@example.test")
    revoked = UserFactory(role=Role.CAREGIVER, email="revoked@example.test")
    closed = UserFactory(role=Role.CAREGIVER, email="closed@example.test", is_active=False)
    CaregiverGrant.objects.create(patient=patient, caregiver=wants, urgent_alert_emails=True)
    CaregiverGrant.objects.create(patient=patient, caregiver=quiet)
    CaregiverGrant.objects.create(
        patient=patient, caregiver=revoked, urgent_alert_emails=True, revoked_at=timezone.now()
    )
    CaregiverGrant.objects.create(patient=patient, caregiver=closed, urgent_alert_emails=True)
    alert = raise_alert(patient, leg_weakness=True)
    assert alert.severity == "urgent"
    assert caregiver_emails(alert) == {"wants@example.test"}
    deliver_due_notifications()
    (mail,) = [m for m in mailoutbox if m.to == ["wants@example.test"]]
    assert "/caregiving/" in mail.body
    assert patient.user.first_name not in mail.body and patient.user.last_name not in mail.body
    assert "weakness" not in mail.body.lower()


def test_a_contact_today_alert_emails_no_caregiver(patient, seeded_rules):
    wants = UserFactory(role=Role.CAREGIVER)
    CaregiverGrant.objects.create(patient=patient, caregiver=wants, urgent_alert_emails=True)
    alert = raise_alert(patient, site_redness=True)
    assert alert.severity != "urgent"
    assert caregiver_emails(alert) == set()


def test_the_caregiver_chooses_on_their_page_and_in_the_api(patient, client_for):
    caregiver = UserFactory(role=Role.CAREGIVER)
    grant = CaregiverGrant.objects.create(patient=patient, caregiver=caregiver)
    page = Client()
    sign_in(page, caregiver)
    page.post(f"/caregiving/{patient.pk}/emails/", {"urgent_alert_emails": "on"})
    grant.refresh_from_db()
    assert grant.urgent_alert_emails
    api = client_for(caregiver)
    listed = api.get("/api/v1/caregiving/").json()
    assert listed == [
        {
            "patient": patient.pk,
            "first_name": patient.user.first_name,
            "last_name": patient.user.last_name,
            "can_log_symptoms": False,
            "can_message": False,
            "urgent_alert_emails": True,
        }
    ]
    off = api.patch(f"/api/v1/caregiving/{patient.pk}/", {"urgent_alert_emails": False}, format="json")
    assert off.status_code == 200 and off.json()["urgent_alert_emails"] is False
    assert (
        api.patch(f"/api/v1/caregiving/{patient.pk}/", {"urgent_alert_emails": "x"}, format="json").status_code == 400
    )
    stranger = PatientFactory()
    assert (
        api.patch(f"/api/v1/caregiving/{stranger.pk}/", {"urgent_alert_emails": True}, format="json").status_code == 404
    )
    assert page.post(f"/caregiving/{stranger.pk}/emails/", {"urgent_alert_emails": "on"}).status_code == 404
