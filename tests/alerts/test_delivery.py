"""Outbox delivery: claim, send outside the lock, mark sent only after the server
accepted, retry with backoff, give up into "failed"; texts without health data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alerts.services import evaluate_entry
from portal.outbox.delivery import backoff, claim_due, deliver_due_notifications
from portal.outbox.models import Notification
from portal.outbox.services import queue_notification
from portal.outbox.texts import KINDS, render_email
from tests.factories import PatientFactory, SymptomEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def raise_alerts(count: int, clinician) -> list:
    """``count`` patients on the clinician's care team, each with an urgent entry."""
    from tests.factories import CareTeamGrantFactory

    entries = []
    for _ in range(count):
        patient = PatientFactory()
        CareTeamGrantFactory(patient=patient, clinician=clinician)
        entry = SymptomEntryFactory(patient=patient, numbness=True)
        evaluate_entry(entry)
        entries.append(entry)
    return entries


def test_sends_pending_notifications_with_fixed_text(patient, clinician, mailoutbox):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("39.1"), neck_stiffness=True))
    report = deliver_due_notifications()
    assert report.sent == 2
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert "You have a new urgent alert in Aftercare. Sign in to read it." in by_recipient[clinician.email].body
    patient_mail = by_recipient[patient.user.email].body
    assert patient_mail.startswith(
        "This needs medical attention now. Call 911 or go to the nearest emergency department. Call 911 (tel:911)."
    )
    assert "http://testserver/alerts/" in patient_mail
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert deliver_due_notifications().sent == 0  # nothing twice


def test_contact_provider_email_text(patient, clinician, mailoutbox):
    evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    deliver_due_notifications()
    first_lines = {m.to[0]: m.body.splitlines()[0] for m in mailoutbox}
    assert first_lines == {
        clinician.email: "You have a new alert in Aftercare. Sign in to read it.",
        patient.user.email: "Contact your care team today. You have a new alert in Aftercare. Sign in to read it.",
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("audience", ["patient", "clinician", "address"])
def test_every_kind_has_a_text_without_health_data(kind, audience):
    subject, body = render_email(kind=kind, audience=audience, link="/alerts/3/")
    assert "Sign in" in body and "http://testserver/alerts/3/" in body
    from tests.alerts.conftest import health_data_in

    assert health_data_in(f"{subject}\n{body}", set()) == []


def test_message_and_lab_kinds_can_be_queued_by_other_apps(patient, mailoutbox):
    queue_notification(recipient=patient.user, kind="message", dedup_key="thread:1:message:9", link="/messages/1/")
    queue_notification(recipient=patient.user, kind="lab_released", dedup_key="lab:4:released", link="/labs/4/")
    deliver_due_notifications()
    assert sorted(m.body.splitlines()[0] for m in mailoutbox) == [
        "A new result is ready in Aftercare. Sign in to read it.",
        "You have a new message in Aftercare. Sign in to read it.",
    ]


def test_claimed_rows_are_not_claimed_twice(patient):
    queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    _, first = claim_due(batch_size=10)
    _, second = claim_due(batch_size=10)
    assert len(first) == 1 and second == []


def test_a_stale_claim_is_reclaimed(patient, mailoutbox, settings):
    queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    claim_due(batch_size=10)  # a worker claims, then dies
    assert deliver_due_notifications().sent == 0
    later = timezone.now() + timedelta(seconds=settings.AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        report = deliver_due_notifications()
    assert (report.reclaimed, report.sent, len(mailoutbox)) == (1, 1, 1)


@pytest.mark.smtp
def test_real_smtp_server_receives_each_email_once(patient, clinician, smtp_server):
    evaluate_entry(SymptomEntryFactory(patient=patient, confusion=True))
    assert deliver_due_notifications().sent == 2
    assert sorted(smtp_server.notification_ids()) == sorted(
        str(pk) for pk in Notification.objects.values_list("pk", flat=True)
    )
    assert all("Subject: [Aftercare]" in raw for raw in smtp_server.messages)


@pytest.mark.smtp
def test_smtp_down_during_100_alerts_then_up_delivers_each_exactly_once(clinician, smtp_server, settings):
    settings.AFTERCARE_NOTIFICATION_BATCH_SIZE = 40
    smtp_server.stop()
    raise_alerts(50, clinician)  # 50 urgent alerts x (clinician + patient) = 100 emails
    assert Notification.objects.count() == 100
    report = deliver_due_notifications()
    assert (report.sent, report.retried) == (0, 40)  # one failed batch; the rest stays pending
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    assert Notification.objects.filter(attempts=1).exclude(last_error="").count() == 40
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        deliver_due_notifications()  # still down
    smtp_server.start()
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        report = deliver_due_notifications()
    assert report.sent == 100
    ids = smtp_server.notification_ids()
    assert len(ids) == 100 and len(set(ids)) == 100
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.smtp
def test_gives_up_after_the_configured_attempts(patient, smtp_server, settings):
    settings.AFTERCARE_NOTIFICATION_MAX_ATTEMPTS = 3
    smtp_server.stop()
    queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    now = timezone.now()
    for step in range(4):
        with time_machine.travel(now + timedelta(hours=step * 2), tick=False):
            deliver_due_notifications()
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert notification.last_error  # visible in admin


def test_backoff_grows_exponentially_and_is_capped(settings):
    settings.AFTERCARE_NOTIFICATION_BACKOFF_SECONDS = 30
    settings.AFTERCARE_NOTIFICATION_BACKOFF_MAX_SECONDS = 3600
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20).total_seconds() == 3600


def test_inactive_recipients_get_nothing(db):
    user = UserFactory(is_active=False)
    assert queue_notification(recipient=user, kind="alert", dedup_key="x:1") is None


def test_command_delivers(patient, mailoutbox, capsys):
    queue_notification(recipient=patient.user, kind="reminder", dedup_key="x:1")
    call_command("deliver_notifications")
    assert "1 sent" in capsys.readouterr().out
    assert len(mailoutbox) == 1 and "diary" in mailoutbox[0].body


def test_the_task_delivers(patient, mailoutbox):
    from portal.outbox.tasks import deliver_notifications

    queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    assert deliver_notifications()["sent"] == 1


def test_delivery_is_triggered_on_commit(patient, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    from portal.celery import app

    monkeypatch.setattr(app, "send_task", lambda name, *a, **k: sent.append(name))
    with django_capture_on_commit_callbacks(execute=True):
        queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    assert sent == ["portal.outbox.tasks.deliver_notifications"]
    assert mail.outbox == []


def test_admin_can_send_failed_notifications_again(patient, mailoutbox):
    from portal.outbox.services import retry_notifications

    queue_notification(recipient=patient.user, kind="alert", dedup_key="x:1")
    Notification.objects.update(status="failed", attempts=8, last_error="SMTPServerDisconnected")
    assert retry_notifications(ids=Notification.objects.values_list("id", flat=True)) == 1
    assert deliver_due_notifications().sent == 1
    assert retry_notifications(ids=Notification.objects.values_list("id", flat=True)) == 0  # sent stays sent
