"""New-message emails: queued in the outbox, never with the text, at most one per
thread per recipient per 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from messaging import services
from portal.outbox.models import Notification

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_patient_message_notifies_each_care_team_clinician(patient, clinician, anesthesiologist):
    with time_machine.travel(T0, tick=False):
        thread = services.start_thread(author=patient.user, subject="Private subject", body="Private body")
    rows = Notification.objects.filter(kind="message")
    assert {row.recipient for row in rows} == {clinician, anesthesiologist}
    for row in rows:
        assert row.link == f"/messages/{thread.pk}/"
        assert "Private" not in row.dedup_key + row.link + row.source_type + row.source_id
    assert patient.user not in {row.recipient for row in rows}


def test_at_most_one_email_per_thread_per_15_minutes(patient, clinician):
    with time_machine.travel(T0, tick=False) as traveller:
        thread = services.start_thread(author=patient.user, subject="s", body="one")
        traveller.move_to(T0 + timedelta(minutes=5))
        services.post_message(author=patient.user, thread=thread, body="two")
        traveller.move_to(T0 + timedelta(minutes=14, seconds=59))
        services.post_message(author=patient.user, thread=thread, body="three")
        assert Notification.objects.filter(recipient=clinician).count() == 1
        traveller.move_to(T0 + timedelta(minutes=15, seconds=1))
        services.post_message(author=patient.user, thread=thread, body="four")
        assert Notification.objects.filter(recipient=clinician).count() == 2


def test_the_window_is_per_thread_and_per_recipient(patient, clinician):
    with time_machine.travel(T0, tick=False):
        first = services.start_thread(author=patient.user, subject="a", body="a")
        services.start_thread(author=patient.user, subject="b", body="b")
        services.post_message(author=clinician, thread=first, body="reply")
    assert Notification.objects.filter(recipient=clinician).count() == 2
    assert Notification.objects.filter(recipient=patient.user).count() == 1


def test_no_double_email_across_a_window_boundary(patient, clinician):
    # 10:14:59 and 10:15:01 fall in different 15-minute buckets; the check of the
    # last notification still holds the second email back.
    with time_machine.travel(T0 + timedelta(minutes=14, seconds=59), tick=False) as traveller:
        thread = services.start_thread(author=patient.user, subject="s", body="one")
        traveller.move_to(T0 + timedelta(minutes=15, seconds=1))
        services.post_message(author=patient.user, thread=thread, body="two")
    assert Notification.objects.filter(recipient=clinician).count() == 1


def test_clinician_reply_notifies_the_patient(patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="Reply text")
    note = Notification.objects.get(recipient=patient.user)
    assert note.kind == "message" and note.link == f"/messages/{thread.pk}/"


def test_inactive_recipients_get_nothing(patient, clinician):
    clinician.is_active = False
    clinician.save(update_fields=["is_active"])
    services.start_thread(author=patient.user, subject="s", body="b")
    assert not Notification.objects.filter(recipient=clinician).exists()
