"""The audit log is append-only: through the ORM, the admin and (on PostgreSQL) SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse

from portal.audit.middleware import AuditedReadsMiddleware
from portal.audit.models import AppendOnlyError, AuditEvent
from portal.audit.services import audit_read, record_audit

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
    assert audit_read(user=patient.user, patient_id=patient.pk) == []
    assert len(audit_read(user=clinician, patient_id=patient.pk, obj=patient)) == 1
    assert AuditEvent.objects.for_patient(patient.pk).count() == 1


def request_under_way(rf, **extra):
    """A request as a view gets it, after the middleware gave it its read record."""
    request = rf.get("/", **extra)
    AuditedReadsMiddleware(lambda request: HttpResponse())(request)
    return request


def test_a_list_read_writes_each_patients_read_once_in_one_insert(
    patient, clinician, rf, settings, django_assert_num_queries
):
    from tests.factories import PatientFactory

    settings.AFTERCARE_TRUSTED_PROXIES = 0
    others = [PatientFactory(user__email=f"other{n}@example.test") for n in range(3)]
    request = request_under_way(rf, REMOTE_ADDR="198.51.100.7")
    audit_read(user=clinician, patient_id=others[0].pk, obj=others[0], request=request)  # read already
    ids = [patient.pk, *(p.pk for p in others), patient.pk]
    with django_assert_num_queries(1):  # one INSERT
        events = audit_read(user=clinician, patient_ids=ids, request=request, action="quality.feedback.read")
    assert sorted(e.patient_id for e in events) == sorted([patient.pk, others[1].pk, others[2].pk])
    stored = AuditEvent.objects.filter(action="quality.feedback.read")
    assert {(e.actor_id, e.role, e.ip, e.object_type) for e in stored} == {
        (clinician.pk, "clinician", "198.51.100.7", "")
    }
    assert audit_read(user=clinician, patient_ids=ids, request=request) == []  # the same request: read already
    assert audit_read(user=patient.user, patient_ids=[patient.pk]) == []  # the patient's own record
    # The next request is a new read: nothing is kept from one request to the next.
    assert len(audit_read(user=clinician, patient_ids=ids, request=request_under_way(rf))) == 4


def test_a_list_of_patients_names_each_patient_as_the_object(patient, other_patient, clinician):
    events = audit_read(user=clinician, patients=[other_patient, patient], action="patient_list.read")
    assert [(e.patient_id, e.object_type, e.object_id) for e in events] == [
        (p.pk, "patients.patient", str(p.pk)) for p in sorted([patient, other_patient], key=lambda p: p.pk)
    ]


def test_a_page_of_several_parts_is_one_read_of_the_patient(client_for, clinician, patient):
    """The chart and its panels (alerts, labs) each ask for the read: one event."""
    assert client_for(clinician).get(f"/patients/{patient.pk}/").status_code == 200
    assert list(AuditEvent.objects.filter(actor=clinician).values_list("action", flat=True)) == ["patient.chart.read"]
    client_for(clinician).get(f"/patients/{patient.pk}/")
    assert AuditEvent.objects.filter(actor=clinician, action="patient.chart.read").count() == 2


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
