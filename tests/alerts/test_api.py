"""The alerts API (API.md "Alerts"): lifecycle, thresholds, and every persona."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alert, PatientThreshold
from alerts.services import escalate_overdue_alerts, evaluate_entry
from messaging.models import InboxItem
from portal.audit.models import AuditEvent
from portal.outbox.models import Notification
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    return Alert.objects.get()


@pytest.fixture
def other_alert(other_patient):
    evaluate_entry(SymptomEntryFactory(patient=other_patient, confusion=True))
    return Alert.objects.get(patient=other_patient)


# --- GET /api/v1/alerts/ ---------------------------------------------------------------------


def test_patient_sees_own_alerts_with_the_contract_fields(client_for, patient, alert, other_alert):
    response = client_for(patient.user).get("/api/v1/alerts/")
    assert response.status_code == 200
    (row,) = response.json()
    assert {"id", "patient", "rule", "severity", "status", "created_at", "acknowledged_at", "entry", "message"} <= set(
        row
    )
    assert (row["id"], row["rule"], row["severity"], row["status"]) == (alert.pk, "neuro_deficit", "urgent", "open")
    assert row["acknowledged_at"] is None and row["entry"] == alert.entry_id
    # The emergency instruction first, the clinic's number filled in (CLINICAL.md, severity levels).
    assert row["message"].startswith("This needs medical attention now. Call 911 or go to the nearest emergency")
    assert "You reported" in row["message"] and row["audience"] == "care_team"
    assert "note" not in row  # clinicians' notes stay with clinicians


def test_patient_sees_when_the_care_team_acknowledged(client_for, patient, clinician, alert):
    client_for(clinician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "Called"}, format="json")
    row = client_for(patient.user).get("/api/v1/alerts/").json()[0]
    assert row["status"] == "acknowledged" and row["acknowledged_at"] is not None


def test_clinician_filters_by_patient_and_status_and_reads_are_audited(client_for, clinician, patient, alert):
    client = client_for(clinician)
    assert [a["id"] for a in client.get(f"/api/v1/alerts/?patient={patient.pk}&status=open").json()] == [alert.pk]
    assert client.get(f"/api/v1/alerts/?patient={patient.pk}&status=resolved").json() == []
    row = client.get("/api/v1/alerts/").json()[0]
    assert "urgent assessment" in row["message"]
    assert row["patient_message"] == alert.message.replace("{emergency_number}", "911")
    assert AuditEvent.objects.filter(actor=clinician, action="alerts.read", patient_id=patient.pk).exists()


def test_bad_status_is_a_400_naming_it(client_for, clinician):
    response = client_for(clinician).get("/api/v1/alerts/?status=closed")
    assert response.status_code == 400 and "status" in response.json()


def test_list_query_count_does_not_grow_with_alerts(client_for, clinician, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(clinician)
    evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    client.get("/api/v1/alerts/")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/alerts/").json()) == 1
    for _ in range(5):
        evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/v1/alerts/").json()) == 6
    assert len(six) == len(one)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("other_patient", 404), ("outsider_clinician", 404), ("clinician_without_mfa", 403), ("anonymous", 401)],
)
def test_list_personas(request, client_for, anon_client, patient, alert, persona, status):
    if persona == "anonymous":
        client = anon_client
    else:
        who = request.getfixturevalue(persona)
        client = client_for(getattr(who, "user", who))
    response = client.get(f"/api/v1/alerts/?patient={patient.pk}")
    assert response.status_code == status
    if persona == "clinician_without_mfa":
        assert response.json()["code"] == "mfa_required"


def test_the_other_patient_and_the_outsider_see_none_without_a_filter(
    client_for, other_patient, outsider_clinician, alert
):
    assert client_for(other_patient.user).get("/api/v1/alerts/").json() == []
    assert client_for(outsider_clinician).get("/api/v1/alerts/").json() == []


def test_admin_may_not_list_alerts(client_for, admin):
    assert client_for(admin).get("/api/v1/alerts/").status_code == 403


# --- Acknowledge and resolve ---------------------------------------------------------------------


def test_acknowledge_then_resolve_with_notes_moves_the_inbox_item(client_for, clinician, alert):
    client = client_for(clinician)
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "Phoned the patient"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged" and body["note"] == "Phoned the patient"
    assert body["acknowledged_by"] == clinician.display_name
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)
    assert item.status == "in_progress"
    response = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "Seen in clinic"}, format="json")
    assert response.json()["status"] == "resolved" and response.json()["resolution_note"] == "Seen in clinic"
    item.refresh_from_db()
    assert item.status == "done"
    alert.refresh_from_db()
    assert alert.resolved_by == clinician and alert.resolved_at is not None
    assert AuditEvent.objects.filter(action="alert.resolve", object_id=str(alert.pk)).exists()


def test_resolving_an_open_alert_marks_it_seen_too(client_for, clinician, alert):
    body = client_for(clinician).post(f"/api/v1/alerts/{alert.pk}/resolve/", {}, format="json").json()
    assert body["status"] == "resolved" and body["acknowledged_at"] is not None


def test_acknowledging_twice_keeps_the_first_time(client_for, clinician, alert):
    client = client_for(clinician)
    first = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json").json()
    second = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json").json()
    assert first["acknowledged_at"] == second["acknowledged_at"]


def test_a_resolved_alert_cannot_be_acknowledged_or_resolved_again(client_for, clinician, alert):
    client = client_for(clinician)
    client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {}, format="json")
    for action in ("acknowledge", "resolve"):
        response = client.post(f"/api/v1/alerts/{alert.pk}/{action}/", {}, format="json")
        assert response.status_code == 400 and "status" in response.json()


@pytest.mark.parametrize("note", ["x" * 2001, 17, ["a"]])
def test_a_bad_note_is_a_400_naming_it_and_changes_nothing(client_for, clinician, alert, note):
    response = client_for(clinician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": note}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    alert.refresh_from_db()
    assert alert.status == "open"


def test_malformed_json_is_a_400(client_for, clinician, alert):
    response = client_for(clinician).post(
        f"/api/v1/alerts/{alert.pk}/acknowledge/", "{nope", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("patient", 403),  # signed in, but a patient may not do this
        ("other_patient", 403),
        ("outsider_clinician", 404),
        ("clinician_without_mfa", 403),
        ("anonymous", 401),
    ],
)
def test_action_personas(request, client_for, anon_client, alert, action, persona, status):
    if persona == "anonymous":
        client = anon_client
    else:
        who = request.getfixturevalue(persona)
        client = client_for(getattr(who, "user", who))
    response = client.post(f"/api/v1/alerts/{alert.pk}/{action}/", {"note": "x"}, format="json")
    assert response.status_code == status
    if persona == "clinician_without_mfa":
        assert response.json()["code"] == "mfa_required"
    alert.refresh_from_db()
    assert alert.status == "open"


def test_another_care_teams_alert_is_a_404(client_for, clinician, other_alert):
    assert client_for(clinician).post(f"/api/v1/alerts/{other_alert.pk}/acknowledge/").status_code == 404
    assert client_for(clinician).post("/api/v1/alerts/999999/acknowledge/").status_code == 404


# --- Escalation -----------------------------------------------------------------------------------


def test_urgent_alert_not_acknowledged_in_15_minutes_is_emailed_again(patient, clinician, anesthesiologist, alert):
    before = Notification.objects.count()
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert escalate_overdue_alerts() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert escalate_overdue_alerts() == 1
        assert escalate_overdue_alerts() == 0
    escalations = Notification.objects.filter(kind="escalation")
    assert set(escalations.values_list("recipient", flat=True)) == {clinician.pk, anesthesiologist.pk}
    assert Notification.objects.count() == before + 2
    assert InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id).priority == "urgent"


def test_escalation_waits_as_configured_and_skips_acknowledged(client_for, patient, clinician, alert, settings):
    settings.AFTERCARE_ALERT_ESCALATION_MINUTES = 5
    client_for(clinician).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert escalate_overdue_alerts() == 0


def test_escalation_keeps_the_inbox_item_urgent(patient, clinician, alert):
    InboxItem.objects.filter(pk=Alert.objects.get(pk=alert.pk).inbox_item_id).update(priority="normal", priority_rank=2)
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        escalate_overdue_alerts()
    assert InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id).priority == "urgent"


def test_contact_provider_alerts_do_not_escalate(patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert escalate_overdue_alerts() == 0


# --- Thresholds ----------------------------------------------------------------------------------


def test_clinician_reads_and_sets_a_patient_threshold(client_for, clinician, patient):
    client = client_for(clinician)
    rows = {r["rule"]: r for r in client.get(f"/api/v1/patients/{patient.pk}/thresholds/").json()}
    assert rows["fever"]["default"] == 38.0 and rows["fever"]["custom"] is False
    response = client.put(f"/api/v1/patients/{patient.pk}/thresholds/", {"rule": "fever", "value": 38.5}, format="json")
    assert response.status_code == 200
    fever = next(r for r in response.json() if r["rule"] == "fever")
    assert (fever["value"], fever["custom"]) == (38.5, True)
    assert PatientThreshold.objects.get().set_by == clinician
    # The engine uses it for this patient: 38.2 is no longer a fever.
    assert evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.2"))).alert_ids == []
    # null restores the default.
    client.put(f"/api/v1/patients/{patient.pk}/thresholds/", {"rule": "fever", "value": None}, format="json")
    assert not PatientThreshold.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "no_such_rule", "value": 3}, "rule"),
        ({"rule": "neuro_deficit", "value": 3}, "rule"),  # nothing to adjust
        ({"value": 3}, "rule"),
        ({"rule": "fever"}, "value"),
        ({"rule": "fever", "value": "hot"}, "value"),
        ({"rule": "fever", "value": True}, "value"),
        ({"rule": "fever", "value": 45}, "value"),  # outside the allowed range
        ({"rule": "fever", "value": 36.9}, "value"),
        ({"rule": "severe_pain", "value": 6.5}, "value"),  # a pain score is whole
        ({"rule": "fever", "value": 38.123}, "value"),
    ],
)
def test_bad_threshold_is_a_400_naming_the_field(client_for, clinician, patient, body, field):
    response = client_for(clinician).put(f"/api/v1/patients/{patient.pk}/thresholds/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not PatientThreshold.objects.exists()


@pytest.mark.parametrize("method", ["get", "put"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("patient", 403),
        ("other_patient", 403),
        ("outsider_clinician", 404),
        ("clinician_without_mfa", 403),
        ("anonymous", 401),
    ],
)
def test_threshold_personas(request, client_for, anon_client, patient, method, persona, status):
    if persona == "anonymous":
        client = anon_client
    else:
        who = request.getfixturevalue(persona)
        client = client_for(getattr(who, "user", who))
    url = f"/api/v1/patients/{patient.pk}/thresholds/"
    response = client.get(url) if method == "get" else client.put(url, {"rule": "fever", "value": 38.4}, format="json")
    assert response.status_code == status
    assert not PatientThreshold.objects.exists()


def test_schema_describes_the_alerts_endpoints(client_for, clinician):
    schema = client_for(clinician).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {
        "/api/v1/alerts/",
        "/api/v1/alerts/{alert_id}/acknowledge/",
        "/api/v1/patients/{patient_id}/thresholds/",
    } <= set(paths)
