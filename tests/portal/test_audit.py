"""The audit log is append-only: through the ORM, the admin and (on PostgreSQL) SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AppendOnlyError, AuditEvent
from portal.audit.services import audit_read, audit_reads, record_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(clinician, patient, rf, settings):
    settings.AFTERCARE_TRUSTED_PROXIES = 1
    # The client wrote the first entry; the deployment's one proxy appended the last.
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    return record_audit(actor=clinician, action="patient.read", patient_id=patient.pk, obj=patient, request=request)


def test_record_audit_names_the_object_not_its_content(event, clinician, patient):
    assert event.actor == clinician
    assert event.role == "clinician"
    assert event.object_type == "patients.patient"
    assert event.object_id == str(patient.pk)
    assert event.patient_id == patient.pk
    assert event.ip == "203.0.113.9"


def test_anonymous_actor_is_recorded_as_none():
    from django.contrib.auth.models import AnonymousUser

    event = record_audit(actor=AnonymousUser(), action="invitation.viewed")
    assert event.actor is None and event.role == ""


def test_audit_read_skips_the_patients_own_reads(patient, clinician):
    assert audit_read(user=patient.user, patient_id=patient.pk) is None
    assert audit_read(user=clinician, patient_id=patient.pk) is not None
    assert AuditEvent.objects.for_patient(patient.pk).count() == 1


def test_audit_reads_writes_each_patients_read_once_in_one_insert(
    patient, clinician, rf, settings, django_assert_num_queries
):
    from tests.factories import PatientFactory

    settings.AFTERCARE_TRUSTED_PROXIES = 0
    others = [PatientFactory(user__email=f"other{n}@example.test") for n in range(3)]
    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    audit_read(user=clinician, patient_id=others[0].pk, request=request)  # read already in this request
    ids = [patient.pk, *(p.pk for p in others), patient.pk]
    with django_assert_num_queries(1):  # one INSERT (the reader has no record of their own: looked up above)
        events = audit_reads(user=clinician, patient_ids=ids, request=request, action="quality.feedback.read")
    assert sorted(e.patient_id for e in events) == sorted([patient.pk, others[1].pk, others[2].pk])
    stored = AuditEvent.objects.filter(action="quality.feedback.read")
    assert {(e.actor_id, e.role, e.ip) for e in stored} == {(clinician.pk, "clinician", "198.51.100.7")}
    assert audit_reads(user=clinician, patient_ids=ids, request=request) == []  # the same request: read already
    assert audit_reads(user=patient.user, patient_ids=[patient.pk]) == []  # the patient's own record


def test_orm_cannot_change_an_event(event):
    event.action = "something.else"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_orm_cannot_delete_an_event(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    assert AuditEvent.objects.filter(pk=event.pk, action="patient.read").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.read"


def test_database_still_accepts_inserts_by_sql(event):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (role, action, object_type, object_id, at) "
            "VALUES ('', 'raw.insert', '', '', now())"
        )
    assert AuditEvent.objects.filter(action="raw.insert").exists()


def test_admin_lists_events_read_only(client_for, admin, event):
    client = client_for(admin)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    change = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    assert b'name="action"' not in change.content  # shown, not editable
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    response = client.post(
        "/admin/audit/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    # The list again, offering no action at all: nothing to delete with.
    assert response.status_code == 200
    assert b'<select name="action"' not in response.content
