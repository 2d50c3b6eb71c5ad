"""Clinician reads of a thread and downloads of attachments are audited; the
patient's own reads are not."""

from __future__ import annotations

from portal.audit.models import AuditEvent


def test_clinician_reading_a_thread_is_audited(client_for, clinician, patient, thread):
    client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    event = AuditEvent.objects.get(action="messaging.thread.read")
    assert (event.actor, event.patient_id, event.object_type, event.object_id) == (
        clinician,
        patient.pk,
        "messaging.thread",
        str(thread.pk),
    )


def test_clinician_downloading_an_attachment_is_audited(client_for, clinician, patient, attachment):
    client_for(clinician).get(f"/api/v1/attachments/{attachment.pk}/")
    event = AuditEvent.objects.get(action="messaging.attachment.download")
    assert (event.actor, event.patient_id, event.object_id) == (clinician, patient.pk, str(attachment.pk))


def test_the_page_reads_are_audited_too(client_for, clinician, attachment, thread):
    client = client_for(clinician)
    client.get(f"/messages/{thread.pk}/")
    client.get(f"/messages/attachments/{attachment.pk}/")
    actions = list(AuditEvent.objects.filter(actor=clinician).values_list("action", flat=True))
    assert "messaging.thread.read" in actions and "messaging.attachment.download" in actions


def test_patients_own_reads_are_not_audit_events(client_for, patient, attachment, thread):
    client = client_for(patient.user)
    client.get(f"/api/v1/threads/{thread.pk}/messages/")
    client.get(f"/api/v1/attachments/{attachment.pk}/")
    assert not AuditEvent.objects.filter(actor=patient.user).exists()


def test_refused_reads_leave_no_data_and_no_read_event(client_for, outsider_clinician, thread):
    client_for(outsider_clinician).get(f"/api/v1/threads/{thread.pk}/messages/")
    assert not AuditEvent.objects.filter(actor=outsider_clinician, action="messaging.thread.read").exists()
