"""Forwarding a case to a colleague the patient has chosen."""

from __future__ import annotations

from messaging.models import InboxItem, ThreadForward
from portal.audit.models import AuditEvent
from portal.outbox.models import Notification
from tests.factories import ClinicianFactory


def test_forward_creates_a_referral_for_the_receiver_only(client_for, clinician, anesthesiologist, thread):
    response = client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/forward/",
        {"to": anesthesiologist.pk, "note": "Positional headache day 3, consider a blood patch."},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["to"] == anesthesiologist.pk and body["forwarded_by"] == clinician.pk
    referral = InboxItem.objects.get(kind="referral")
    assert referral.addressed_to == anesthesiologist and referral.assignee == anesthesiologist
    assert referral.link == f"/messages/{thread.pk}/"
    assert "blood patch" not in referral.summary
    assert referral.summary == f"Case forwarded by {clinician.display_name} with a note"
    # Only the receiver sees the referral in their inbox.
    receiver_ids = [row["id"] for row in client_for(anesthesiologist).get("/api/v1/inbox/").json()["results"]]
    sender_ids = [row["id"] for row in client_for(clinician).get("/api/v1/inbox/").json()["results"]]
    assert referral.pk in receiver_ids and referral.pk not in sender_ids
    # The receiver reads the note on the thread.
    detail = client_for(anesthesiologist).get(f"/api/v1/threads/{thread.pk}/").json()
    assert detail["forwards"][0]["note"] == "Positional headache day 3, consider a blood patch."
    assert AuditEvent.objects.filter(action="messaging.thread.forward", actor=clinician).exists()
    assert Notification.objects.filter(recipient=anesthesiologist, kind="message").exists()


def test_forward_to_a_clinician_the_patient_has_not_chosen_is_refused(client_for, clinician, thread):
    stranger = ClinicianFactory()
    response = client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": stranger.pk, "note": "?"}, format="json"
    )
    assert response.status_code == 400
    assert "not on the patient's care team" in response.json()["to"][0]
    assert not ThreadForward.objects.exists()
    assert not InboxItem.objects.filter(kind="referral").exists()


def test_forward_to_a_missing_user_or_a_patient_reads_the_same(client_for, clinician, other_patient, thread):
    client = client_for(clinician)
    missing = client.post(f"/api/v1/threads/{thread.pk}/forward/", {"to": 987654}, format="json").json()
    a_patient = client.post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": other_patient.user.pk}, format="json"
    ).json()
    assert missing == a_patient and "to" in missing


def test_forward_to_yourself_is_refused(client_for, clinician, thread):
    response = client_for(clinician).post(f"/api/v1/threads/{thread.pk}/forward/", {"to": clinician.pk}, format="json")
    assert response.status_code == 400 and "to" in response.json()


def test_forward_validates_fields(client_for, clinician, anesthesiologist, thread):
    client = client_for(clinician)
    assert "to" in client.post(f"/api/v1/threads/{thread.pk}/forward/", {}, format="json").json()
    response = client.post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk, "note": "n" * 2001}, format="json"
    )
    assert response.status_code == 400 and "note" in response.json()
    response = client.post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk, "priority": "asap"}, format="json"
    )
    assert response.status_code == 400 and "priority" in response.json()
    assert not ThreadForward.objects.exists()


def test_an_urgent_forward_is_due_in_15_minutes(client_for, clinician, anesthesiologist, thread):
    client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk, "priority": "urgent"}, format="json"
    )
    referral = InboxItem.objects.get(kind="referral")
    assert referral.priority == "urgent"
    assert 14 * 60 <= (referral.due_at - referral.created_at).total_seconds() <= 15 * 60 + 1
