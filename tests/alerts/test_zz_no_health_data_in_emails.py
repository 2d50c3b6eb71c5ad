"""Reads every email the alerts suite sent (collected by the autouse fixture in
conftest.py, from Django's test outbox and the real SMTP server) and finds no symptom
word, no value and no patient name. Named to run last in this folder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alerts.services import evaluate_entry
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.services import queue_notification
from portal.outbox.texts import KINDS
from tests.alerts.conftest import SENT_EMAILS, health_data_in
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db


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


def test_every_email_the_suite_sent_was_read():
    """SENT_EMAILS holds every email of the tests that ran before this one (each was
    checked after its test, with that test's patient names)."""
    for email in SENT_EMAILS:
        assert health_data_in(email["text"], set()) == [], email["test"]
