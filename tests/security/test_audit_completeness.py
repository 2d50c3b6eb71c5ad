"""Audit completeness: exactly one audit event per read of health data by anyone
but its patient, per lab report download, per grant and per revocation; every
response that carries patient data is audited whatever its method; and the audit
log cannot be changed through the ORM, the admin, the API or SQL.

The reads are every GET row of the permission matrix that A's care-team clinician
may open: each is either listed in AUDITED_READS' complement ``NOT_A_READ`` with
its reason, or must write exactly one event naming patient A. A new page or
endpoint therefore has to be classified here too. The writes are every POST, PUT,
PATCH and DELETE row the care team may send: a response that carries any of A's
data (A's health data, A's name, A's id in a patient field) must have written at
least one event naming A (the write's own, or a read).

(The foundation's tests/portal/test_audit.py covers ``save``/``delete``/queryset
``update`` raising, the admin's read-only pages and the trigger on one row.)
"""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AppendOnlyError, AuditEvent
from portal.audit.services import record_audit
from tests.security.matrix import MATRIX
from tests.security.runner import leaks_in, perform

pytestmark = pytest.mark.django_db

# GET rows the care team opens that show none of A's health data.
NOT_A_READ = {
    ("GET", "api/docs/"): "the API documentation",
    ("GET", "api/schema/"): "the API schema",
    ("GET", "api/v1/me"): "the caller's own account",
    ("GET", "healthz"): "liveness",
    ("GET", "readyz"): "readiness of the alert pipeline",
    ("GET", "invitations/<str:token>/"): "an invitation form",
    ("GET", "settings/"): "the caller's own settings",
    ("GET", "patients/enrol/"): "an empty enrolment form",
    ("GET", "api/v1/lab-requests/prefill/"): "the request form's defaults for a patient (no alert named)",
    ("GET", "labs/patients/<int:patient_id>/upload/"): "an empty upload form naming the patient",
    ("GET", "labs/requests/new/"): "an empty request form naming the patient",
    ("GET", "fhir/R4/metadata"): "the FHIR CapabilityStatement",
    ("GET", "fhir/R4/Questionnaire/<str:questionnaire_id>"): "the diary's questions, no answers",
}
# A lab report download is audited for everyone, the patient included (DESIGN "Audit").
DOWNLOADS = {
    ("GET", "api/v1/lab-reports/<int:pk>/file/"),
    ("GET", "api/v1/lab-reports/<int:pk>/file/", "unreleased"),
    ("GET", "labs/reports/<int:pk>/file/"),
}
CARE_TEAM = 3  # position of the care-team persona in the table
READ_ROWS = sorted(
    (
        key
        for key, outcomes in MATRIX.items()
        if key[0] == "GET"
        and outcomes[CARE_TEAM] == 200
        and not key[1].startswith(("admin/", "accounts/", "_allauth/"))
    ),
    key=lambda key: (key[1], key[2:]),
)


def test_every_read_is_classified():
    assert set(NOT_A_READ) <= set(READ_ROWS), set(NOT_A_READ) - set(READ_ROWS)
    assert len(READ_ROWS) - len(NOT_A_READ) >= 30


@pytest.mark.parametrize("key", READ_ROWS, ids=lambda key: " ".join(key))
def test_a_care_team_read_writes_exactly_one_event(matrix_world, key):
    world, sessions = matrix_world
    clinician = world.users["care_team"].pk
    result = perform(key, "care_team", world, sessions)
    assert result.status == 200
    about_a = [event for event in result.audit if event[2] == world.patient_a.pk]
    if key in NOT_A_READ:
        assert about_a == [], f"{key}: {NOT_A_READ[key]}, yet it audited {about_a}"
        return
    assert len(about_a) == 1, f"{key} wrote {about_a}"
    assert about_a[0][0] == clinician
    if key in DOWNLOADS:
        assert about_a[0][1] == "lab_report.download"


@pytest.mark.parametrize("key", READ_ROWS, ids=lambda key: " ".join(key))
def test_the_patients_own_reads_are_not_audited_but_downloads_are(matrix_world, key):
    world, sessions = matrix_world
    result = perform(key, "patient_a", world, sessions)
    about_a = [event for event in result.audit if event[2] == world.patient_a.pk]
    if key in DOWNLOADS and result.status == 200:
        assert [(actor, action) for actor, action, _ in about_a] == [(world.patient_a.user.pk, "lab_report.download")]
    else:
        assert about_a == [], f"{key}: the patient's own read was audited: {about_a}"


@pytest.mark.parametrize("persona", ["patient_b", "outsider", "no_mfa", "admin", "password_only"])
def test_nobody_outside_the_care_team_leaves_a_read_of_a(matrix_world, persona):
    """Refused look-ups of A's objects read nothing, so they record no read of A."""
    world, sessions = matrix_world
    for key in READ_ROWS:
        result = perform(key, persona, world, sessions)
        assert not [event for event in result.audit if event[2] == world.patient_a.pk], (persona, key, result.audit)


# --- Writes: a response with patient data is audited too -----------------------------------

WRITE_ROWS = sorted(
    (
        key
        for key, outcomes in MATRIX.items()
        if key[0] in ("POST", "PUT", "PATCH", "DELETE")
        and isinstance(outcomes[CARE_TEAM], int)
        and 200 <= outcomes[CARE_TEAM] < 400
        and not key[1].startswith(("admin/", "accounts/", "_allauth/"))
    ),
    key=lambda key: (key[1], key[0], key[2:]),
)


def carries_data_of_a(result, world) -> bool:
    """Would this response be a leak, were it sent to someone outside A's care team?"""
    return bool(leaks_in("outsider", result.path, result.response, result.body, world))


def test_the_write_rows_are_many_and_some_carry_data():
    assert len(WRITE_ROWS) >= 40


@pytest.mark.parametrize("key", WRITE_ROWS, ids=lambda key: " ".join(key))
def test_a_care_team_write_whose_answer_carries_patient_data_is_audited(matrix_world, key):
    world, sessions = matrix_world
    clinician = world.users["care_team"].pk
    result = perform(key, "care_team", world, sessions)
    assert result.status == MATRIX[key][CARE_TEAM], (key, result.status)
    about_a = [event for event in result.audit if event[2] == world.patient_a.pk and event[0] == clinician]
    if carries_data_of_a(result, world):
        assert about_a, f"{key} answered with A's data and wrote no audit event naming A: {result.audit}"


# --- Grants and revocations ----------------------------------------------------------------

GRANT_ROWS = {
    ("POST", "api/v1/care-team/"): ("patient_a", 201, "care_team.granted"),
    ("POST", "care-team/"): ("patient_a", 302, "care_team.granted"),
    ("DELETE", "api/v1/care-team/<int:grant_id>/"): ("patient_a", 204, "care_team.revoked"),
    ("POST", "care-team/<int:grant_id>/revoke/"): ("patient_a", 302, "care_team.revoked"),
}


@pytest.mark.parametrize("key", sorted(GRANT_ROWS), ids=lambda key: " ".join(key))
def test_each_grant_and_revocation_writes_one_event(matrix_world, key):
    world, sessions = matrix_world
    persona, status, action = GRANT_ROWS[key]
    result = perform(key, persona, world, sessions)
    assert result.status == status
    assert [event[1] for event in result.audit if event[2] == world.patient_a.pk] == [action]


def test_an_admins_assignment_is_audited_once(matrix_world, client_for):
    from patients.models import CareTeamGrant

    world = matrix_world[0]
    client = client_for(world.users["admin"])
    clinician = world.ids["unrelated_clinician"]
    before = AuditEvent.objects.count()
    response = client.post(
        "/admin/patients/careteamgrant/add/", {"patient": world.patient_a.pk, "clinician": clinician}
    )
    assert response.status_code == 302, response.content[:500]
    assert CareTeamGrant.objects.filter(patient=world.patient_a, clinician_id=clinician).exists()
    events = list(AuditEvent.objects.order_by("pk")[before:].values_list("action", "patient_id"))
    assert events == [("care_team.granted", world.patient_a.pk)]


def test_enrolment_audits_the_enrolment_and_the_grant(matrix_world, client_for):
    world = matrix_world[0]
    client = client_for(world.users["care_team"])
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = client.post(
        "/api/v1/patients/",
        {
            "email": "new.one@example.test",
            "first_name": "New",
            "last_name": "One",
            "date_of_birth": "1990-01-01",
            "sex": "male",
            "procedure": {"performed_at": world.ids["an_hour_ago"], "needle_type": "atraumatic", "needle_gauge": 22},
        },
        format="json",
    )
    assert response.status_code == 201
    actions = sorted(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True))
    assert actions == ["care_team.granted", "patient.enrolled"]


# --- The log cannot be changed -------------------------------------------------------------


@pytest.fixture
def world(matrix_world):
    """This module's tests share the table's world (a second world would clash with it)."""
    return matrix_world[0]


@pytest.fixture
def event(world):
    return record_audit(actor=world.users["care_team"], action="patient.read", patient_id=world.patient_a.pk)


def test_the_api_offers_no_way_to_change_the_log(world, client_for, event):
    client = client_for(world.patient_a.user)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/access-log/", {}, format="json").status_code == 405
    # The matrix proves no other route exists; the access log is read-only for its patient.
    api_routes = {key[1] for key in MATRIX if key[1].startswith("api/v1/")}
    assert not [route for route in api_routes if "audit" in route]
    assert AuditEvent.objects.filter(pk=event.pk, action="patient.read").exists()


def test_the_admin_grants_no_change_and_no_delete(rf, world, event):
    model_admin = django_admin.site._registry[AuditEvent]
    request = rf.get("/admin/audit/auditevent/")
    request.user = world.users["admin"]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_orm_refuses_every_way_to_rewrite_an_event(event):
    event.action = "rewritten"
    for attempt in (
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["action"]),
    ):
        with pytest.raises((AppendOnlyError, DatabaseError)), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.read"


def test_the_database_refuses_what_bypasses_the_orm_guard(event):
    """``_base_manager`` and raw SQL skip the model's guard; the trigger stops them."""
    for attempt in (
        lambda: AuditEvent._base_manager.filter(pk=event.pk).update(action="x"),
        lambda: AuditEvent._base_manager.filter(pk=event.pk)._raw_delete(AuditEvent._base_manager.db),
        lambda: connection.cursor().execute("UPDATE audit_auditevent SET ip = NULL WHERE id = %s", [event.pk]),
        lambda: connection.cursor().execute("DELETE FROM audit_auditevent"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).action == "patient.read"
