"""How messages feed the inbox: a patient message posts or refreshes the thread's
item (normal, due the next weekday unless the clinic sets a response time); a clinician
reply settles it."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from messaging import services
from messaging.models import InboxItem

FRIDAY_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _item(thread) -> InboxItem:
    return InboxItem.objects.get(kind="message", source_type="messaging.thread", source_id=str(thread.pk))


def test_a_patient_message_posts_a_normal_item_due_next_business_day(patient, clinician):
    with time_machine.travel(FRIDAY_NOON, tick=False):
        thread = services.start_thread(author=patient.user, subject="s", body="b")
    item = _item(thread)
    assert (item.kind, item.priority, item.status) == ("message", "normal", "new")
    assert item.due_at == MONDAY_NOON
    assert item.summary == "New message from patient"
    assert item.link == f"/messages/{thread.pk}/"
    assert item.assignee is None


def test_summary_never_copies_the_message(patient, clinician):
    thread = services.start_thread(
        author=patient.user, subject="Fever 39", body="I have a fever of 39 and a stiff neck"
    )
    item = _item(thread)
    assert "fever" not in item.summary.lower() and "39" not in item.summary


def test_further_messages_keep_one_item_and_its_due_time(patient, clinician, thread):
    due = _item(thread).due_at
    services.post_message(author=patient.user, thread=thread, body="more")
    assert InboxItem.objects.filter(kind="message").count() == 1
    assert _item(thread).due_at == due


def test_a_clinician_reply_moves_the_item_to_waiting_and_claims_it(patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="Reply")
    item = _item(thread)
    assert item.status == "waiting"
    assert item.assignee == clinician


def test_a_reply_can_close_the_item(client_for, clinician, thread):
    client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "All good.", "inbox_status": "done"}, format="json"
    )
    item = _item(thread)
    assert item.status == "done" and item.done_at is not None


def test_a_new_patient_message_reopens_a_done_item_with_a_fresh_due_time(patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="Done", inbox_status="done")
    with time_machine.travel(FRIDAY_NOON, tick=False):
        services.post_message(author=patient.user, thread=thread, body="It came back")
    item = _item(thread)
    assert item.status == "new"
    assert item.done_at is None
    assert item.due_at == MONDAY_NOON
    assert item.assignee == clinician  # whoever handled it keeps it


def test_a_reply_to_a_done_item_leaves_it_done(patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="Done", inbox_status="done")
    services.post_message(author=clinician, thread=thread, body="PS")
    assert _item(thread).status == "done"


def test_post_inbox_item_is_idempotent_per_source_and_raises_priority(patient):
    first = services.post_inbox_item(
        kind="alert", patient=patient, priority="high", summary="Alert", source_type="alerts.alert", source_id="7"
    )
    again = services.post_inbox_item(
        kind="alert", patient=patient, priority="urgent", summary="Alert", source_type="alerts.alert", source_id="7"
    )
    assert first.pk == again.pk
    again.refresh_from_db()
    assert again.priority == "urgent" and again.priority_rank == 0


def test_default_due_times(db):
    with time_machine.travel(FRIDAY_NOON, tick=False):
        assert services.default_due_at("urgent") == datetime(2026, 11, 27, 12, 15, tzinfo=UTC)
        assert services.default_due_at("high") == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
        assert services.default_due_at("normal") == MONDAY_NOON
