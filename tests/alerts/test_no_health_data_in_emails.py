"""No email carries health data. Every alerts test's emails are read after the test
by the autouse ``email_check`` (tests/alerts/conftest.py: ``emails_checked``); these
tests send every kind of email, and prove that the check itself fails on a symptom
word, a value and a patient's name, in the test outbox, in an HTML part and at a real
SMTP server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail

from alerts.services import evaluate_entry
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.services import queue_notification
from portal.outbox.texts import KINDS
from tests.alerts.conftest import VALUE_PATTERNS, emails_checked, health_data_in
from tests.factories import PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db

VALUE, SCORE = VALUE_PATTERNS[0], VALUE_PATTERNS[2]  # "38.4", "9 / 10"
FAILS = pytest.raises(AssertionError, match="health data in an email")


def test_emails_of_every_kind_carry_no_health_data(patient, clinician, mailoutbox):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("39.2"), neck_stiffness=True, headache=9))
    evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    for n, kind in enumerate(KINDS):
        for user in (patient.user, clinician):
            queue_notification(recipient=user, kind=kind, dedup_key=f"all-kinds:{n}", link="/")
    deliver_due_notifications()
    names = {patient.user.first_name, patient.user.last_name}
    assert len(mailoutbox) >= 2 * len(KINDS)
    for message in mailoutbox:
        assert health_data_in(f"{message.subject}\n{message.body}", names) == []


def test_an_email_with_a_symptom_a_value_and_a_patients_name_fails_the_test(mailoutbox):
    with FAILS, emails_checked() as check:
        patient = PatientFactory(user__first_name="Quinn")
        send_mail("Aftercare", f"{patient.user.first_name}, your fever was 38.4 today.", None, ["a@example.test"])
    assert check.problems() == ["fever", VALUE, "Quinn"]  # the name: a patient saved while the test ran
    mailoutbox.clear()  # read: the check after this test finds nothing left


def test_the_html_part_is_read(mailoutbox):
    with FAILS, emails_checked() as check:
        message = EmailMultiAlternatives("Aftercare", "Sign in to read it.", None, ["a@example.test"])
        message.attach_alternative("<p>Your headache score is 9 / 10.</p>", "text/html")
        message.send()
    assert check.problems() == ["headache", SCORE]
    mailoutbox.clear()


@pytest.mark.smtp
def test_what_the_smtp_server_received_is_read(email_check, smtp_server, mailoutbox):
    with FAILS, emails_checked() as check:
        check.servers.append(smtp_server)
        send_mail("Aftercare", "New neck stiffness reported.", None, ["a@example.test"])
    assert len(smtp_server.messages) == 1 and mailoutbox == []
    assert check.problems() == ["stiff"]
    smtp_server.messages.clear()


def test_a_clean_email_passes(mailoutbox):
    with emails_checked() as check:
        send_mail("You have a new alert in Aftercare", "Sign in to read it.", None, ["a@example.test"])
    assert check.problems() == [] and len(mailoutbox) == 1
