"""Read receipts and unread counts stay right after reading, replying and forwarding."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from messaging import selectors, services
from messaging.models import MessageRead


def _unread(client, thread) -> int:
    rows = {row["id"]: row for row in client.get("/api/v1/threads/").json()["results"]}
    return rows[thread.pk]["unread_count"]


def test_reading_the_thread_clears_its_unread_count(client_for, clinician, thread):
    client = client_for(clinician)
    assert _unread(client, thread) == 1
    client.get(f"/api/v1/threads/{thread.pk}/messages/")
    assert _unread(client, thread) == 0
    assert selectors.unread_message_count(clinician) == 0


def test_your_own_message_is_never_unread(client_for, patient, thread):
    assert _unread(client_for(patient.user), thread) == 0
    assert selectors.unread_message_count(patient.user) == 0


def test_replying_counts_as_reading(client_for, patient, clinician, thread):
    services.post_message(author=patient.user, thread=thread, body="And another thing.")
    assert _unread(client_for(clinician), thread) == 2
    client_for(clinician).post(f"/api/v1/threads/{thread.pk}/messages/", {"body": "Answering both."}, format="json")
    assert _unread(client_for(clinician), thread) == 0
    assert _unread(client_for(patient.user), thread) == 1
    assert selectors.unread_message_count(patient.user) == 1


def test_each_participant_has_their_own_receipts(client_for, clinician, anesthesiologist, thread):
    client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    assert _unread(client_for(clinician), thread) == 0
    assert _unread(client_for(anesthesiologist), thread) == 1


def test_forwarding_marks_read_for_the_sender_not_the_receiver(client_for, clinician, anesthesiologist, thread):
    response = client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk, "note": "Please see."}, format="json"
    )
    assert response.status_code == 201
    assert _unread(client_for(clinician), thread) == 0
    assert _unread(client_for(anesthesiologist), thread) == 1


def test_patient_sees_who_read_their_message_and_when(client_for, patient, clinician, thread):
    with time_machine.travel(datetime(2026, 11, 24, 14, 5, tzinfo=UTC), tick=False):
        client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    first = client_for(patient.user).get(f"/api/v1/threads/{thread.pk}/messages/").json()["results"][0]
    assert first["read_by"] == [
        {"user": clinician.pk, "name": clinician.display_name, "role": "clinician", "read_at": "2026-11-24T14:05:00Z"}
    ]


def test_reading_twice_keeps_the_first_receipt(client_for, clinician, thread):
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), tick=False):
        client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    with time_machine.travel(datetime(2026, 11, 24, 17, 0, tzinfo=UTC), tick=False):
        client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    receipt = MessageRead.objects.get(user=clinician)
    assert receipt.read_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_only_the_page_shown_is_marked_read(client_for, patient, clinician, thread):
    for n in range(3):
        services.post_message(author=patient.user, thread=thread, body=f"Message {n}")
    client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/?page_size=2")
    assert _unread(client_for(clinician), thread) == 2


def test_nav_badge_counts_unread_for_patients(client_for, patient, clinician, thread):
    from messaging.nav import nav_items

    services.post_message(author=clinician, thread=thread, body="Reply")
    assert nav_items(patient.user)[0]["badge"] == 1
    client_for(patient.user).get(f"/api/v1/threads/{thread.pk}/messages/")
    assert nav_items(patient.user)[0]["badge"] is None
