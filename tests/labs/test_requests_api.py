"""Follow-up lab requests: created by a patient (for themselves) or a clinician (for
a care-team patient), reviewed once by a clinician, due in 4 hours (configurable),
each an inbox item; an approved request can be answered by a report."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from alerts.models import Alert, AlertRule
from labs.models import LabRequest
from messaging.models import InboxItem
from portal.audit.models import AuditEvent
from portal.outbox.models import Notification

pytestmark = pytest.mark.django_db

NOW = "2026-11-23T08:00:00Z"


def create(client, **payload):
    body = {"tests": ["crp", "esr"], "reason": "Back still aches near the puncture site."}
    body.update(payload)
    return client.post("/api/v1/lab-requests/", body, format="json")


@pytest.fixture
def lab_request(client_for, patient):
    return LabRequest.objects.get(pk=create(client_for(patient.user)).json()["id"])


# --- POST /api/v1/lab-requests/ -----------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_patient_requests_labs_for_themselves(client_for, patient):
    response = create(client_for(patient.user))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["patient"], body["tests"], body["status"]) == (patient.pk, ["crp", "esr"], "pending")
    assert body["requested_by"]["role"] == "patient"
    assert body["due_at"] == "2026-11-23T12:00:00Z"
    item = InboxItem.objects.get(kind="lab_request")
    assert (item.patient, item.source_id, item.due_at.isoformat()) == (
        patient,
        str(body["id"]),
        "2026-11-23T12:00:00+00:00",
    )
    assert item.link == f"/labs/requests/{body['id']}/"


@time_machine.travel(NOW, tick=False)
@override_settings(AFTERCARE_LAB_REQUEST_REVIEW_HOURS=1)
def test_the_review_time_is_configurable(client_for, patient):
    assert create(client_for(patient.user)).json()["due_at"] == "2026-11-23T09:00:00Z"


def test_patient_may_name_themselves(client_for, patient):
    assert create(client_for(patient.user), patient=patient.pk).status_code == 201


def test_patient_cannot_request_for_someone_else(client_for, patient, other_patient):
    response = create(client_for(patient.user), patient=other_patient.pk)
    assert response.status_code == 400
    assert response.json() == {"patient": ["Unknown patient."]}
    assert not LabRequest.objects.exists()


def test_clinician_requests_for_a_care_team_patient(client_for, clinician, patient):
    response = create(client_for(clinician), patient=patient.pk, tests=["blood_culture", "csf_repeat"])
    assert response.status_code == 201
    assert response.json()["tests"] == ["csf_repeat", "blood_culture"]
    assert response.json()["requested_by"]["id"] == clinician.pk


def test_clinician_must_name_the_patient(client_for, clinician):
    assert create(client_for(clinician)).json() == {"patient": ["This field is required."]}


def test_outsider_clinician_gets_unknown_patient(client_for, outsider_clinician, patient):
    response = create(client_for(outsider_clinician), patient=patient.pk)
    assert response.status_code == 400
    assert response.json() == {"patient": ["Unknown patient."]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tests": []}, "tests"),
        ({"tests": ["mri"]}, "tests"),
        ({"tests": ["crp", "crp"]}, "tests"),
        ({"tests": "crp"}, "tests"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
    ],
)
def test_bad_requests_are_400_naming_the_field(client_for, patient, payload, field):
    response = create(client_for(patient.user), **payload)
    assert response.status_code == 400
    assert field in response.json()
    assert not LabRequest.objects.exists()
    assert not InboxItem.objects.exists()


def test_admin_and_anonymous_cannot_request(client_for, admin, anon_client, patient):
    assert create(client_for(admin), patient=patient.pk).status_code == 403
    assert create(anon_client).status_code == 401


def test_clinician_without_mfa_is_403(client_for, clinician_without_mfa, patient):
    response = create(client_for(clinician_without_mfa), patient=patient.pk)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


# --- GET /api/v1/lab-requests/ ------------------------------------------------------------


def test_patient_sees_their_requests_and_the_status(client_for, patient, other_patient, lab_request):
    body = client_for(patient.user).get("/api/v1/lab-requests/").json()
    assert [row["id"] for row in body["results"]] == [lab_request.pk]
    assert client_for(other_patient.user).get("/api/v1/lab-requests/").json()["count"] == 0
    assert client_for(other_patient.user).get(f"/api/v1/lab-requests/?patient={patient.pk}").status_code == 404


def test_clinician_lists_a_patients_requests_audited(client_for, clinician, patient, lab_request):
    body = client_for(clinician).get(f"/api/v1/lab-requests/?patient={patient.pk}&status=pending").json()
    assert [row["id"] for row in body["results"]] == [lab_request.pk]
    assert AuditEvent.objects.filter(action="lab_request.list", actor=clinician, patient_id=patient.pk).exists()


def test_bad_status_filter_is_400(client_for, clinician):
    assert "status" in client_for(clinician).get("/api/v1/lab-requests/?status=lost").json()


def test_outsider_sees_no_requests(client_for, outsider_clinician, patient, lab_request):
    client = client_for(outsider_clinician)
    assert client.get(f"/api/v1/lab-requests/?patient={patient.pk}").status_code == 404
    assert client.get("/api/v1/lab-requests/").json()["count"] == 0
    assert client.get(f"/api/v1/lab-requests/{lab_request.pk}/").status_code == 404


def test_detail_for_patient_and_clinician(client_for, patient, other_patient, clinician, lab_request):
    assert client_for(patient.user).get(f"/api/v1/lab-requests/{lab_request.pk}/").status_code == 200
    assert client_for(clinician).get(f"/api/v1/lab-requests/{lab_request.pk}/").status_code == 200
    assert client_for(other_patient.user).get(f"/api/v1/lab-requests/{lab_request.pk}/").status_code == 404


# --- POST /api/v1/lab-requests/<id>/review/ -------------------------------------------------


def test_clinician_approves_once_and_the_patient_sees_it(client_for, clinician, patient, lab_request):
    client = client_for(clinician)
    response = client.post(f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "approve", "note": "Booked."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["review_note"]) == ("approved", "Booked.")
    again = client.post(f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "decline", "note": "No."})
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This request was already reviewed."]}
    seen = client_for(patient.user).get(f"/api/v1/lab-requests/{lab_request.pk}/").json()
    assert (seen["status"], seen["reviewed_by"]["id"]) == ("approved", clinician.pk)
    assert Notification.objects.filter(recipient=patient.user, kind="lab_request_reviewed").count() == 1
    item = InboxItem.objects.get(kind="lab_request", source_id=str(lab_request.pk))
    assert (item.status, item.done_at is not None) == ("done", True)
    assert AuditEvent.objects.filter(action="lab_request.review", actor=clinician).exists()


def test_declining_needs_a_note(client_for, clinician, lab_request):
    response = client_for(clinician).post(f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "decline"})
    assert response.status_code == 400
    assert "note" in response.json()
    lab_request.refresh_from_db()
    assert lab_request.status == "pending"


def test_decline_with_a_note(client_for, clinician, lab_request):
    response = client_for(clinician).post(
        f"/api/v1/lab-requests/{lab_request.pk}/review/",
        {"decision": "decline", "note": "Not needed now; we will call you today."},
    )
    assert response.json()["status"] == "declined"


@pytest.mark.parametrize("decision", ["", "maybe", None])
def test_a_bad_decision_is_400(client_for, clinician, lab_request, decision):
    payload = {} if decision is None else {"decision": decision}
    response = client_for(clinician).post(f"/api/v1/lab-requests/{lab_request.pk}/review/", payload, format="json")
    assert response.status_code == 400
    assert "decision" in response.json()


def test_patient_cannot_review(client_for, patient, lab_request):
    response = client_for(patient.user).post(f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "approve"})
    assert response.status_code == 403


def test_outsider_review_is_404(client_for, outsider_clinician, lab_request):
    response = client_for(outsider_clinician).post(
        f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 404


# --- Linking a report to the request it answers ---------------------------------------------


def test_an_approved_request_is_answered_by_a_report(upload, client_for, clinician, patient, lab_request):
    client_for(clinician).post(f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "approve"})
    response = upload(
        clinician,
        patient,
        kind="blood",
        values=[{"analyte": "crp", "value": 4, "unit": "mg/L"}],
        answers_request=lab_request.pk,
    )
    assert response.status_code == 201
    assert response.json()["answers_request"] == lab_request.pk
    report_id = response.json()["id"]
    assert client_for(clinician).get(f"/api/v1/lab-requests/{lab_request.pk}/").json()["reports"] == [report_id]
    # The patient sees the link only once the report is released.
    assert client_for(patient.user).get(f"/api/v1/lab-requests/{lab_request.pk}/").json()["reports"] == []
    client_for(clinician).post(f"/api/v1/lab-reports/{report_id}/release/")
    assert client_for(patient.user).get(f"/api/v1/lab-requests/{lab_request.pk}/").json()["reports"] == [report_id]


def test_a_clinicians_order_is_answered_by_a_report_like_an_approved_request(upload, client_for, clinician, patient):
    ordered = client_for(clinician).post(
        "/api/v1/lab-requests/", {"patient": patient.pk, "tests": ["crp"], "reason": "Back pain."}, format="json"
    )
    assert ordered.json()["status"] == "ordered"
    response = upload(
        clinician,
        patient,
        kind="blood",
        values=[{"analyte": "crp", "value": 4, "unit": "mg/L"}],
        answers_request=ordered.json()["id"],
    )
    assert response.status_code == 201, response.content
    assert response.json()["answers_request"] == ordered.json()["id"]


def test_a_pending_request_cannot_be_answered(upload, clinician, patient, lab_request):
    response = upload(clinician, patient, answers_request=lab_request.pk)
    assert response.status_code == 400
    assert list(response.json()) == ["answers_request"]


def test_another_patients_request_cannot_be_answered(upload, client_for, clinician, patient, other_patient):
    from tests.factories import CareTeamGrantFactory

    CareTeamGrantFactory(patient=other_patient, clinician=clinician)
    other = create(client_for(other_patient.user)).json()["id"]
    client_for(clinician).post(f"/api/v1/lab-requests/{other}/review/", {"decision": "approve"})
    response = upload(clinician, patient, answers_request=other)
    assert response.status_code == 400
    assert response.json() == {"answers_request": ["Unknown lab request for this patient."]}


# --- "Request labs" from an alert -----------------------------------------------------------


def test_prefill_from_a_patient_id(client_for, clinician, patient):
    response = client_for(clinician).get(
        f"/api/v1/lab-requests/prefill/?patient={patient.pk}&reason=Fever%20on%20day%203&tests=crp&tests=blood_culture"
    )
    assert response.status_code == 200
    assert response.json() == {
        "patient": patient.pk,
        "tests": ["crp", "blood_culture"],
        "reason": "Fever on day 3",
        "alert": None,
    }


def test_prefill_for_someone_else_is_404(client_for, outsider_clinician, patient):
    assert client_for(outsider_clinician).get(f"/api/v1/lab-requests/prefill/?patient={patient.pk}").status_code == 404


def test_prefill_needs_a_patient_or_alert(client_for, clinician):
    response = client_for(clinician).get("/api/v1/lab-requests/prefill/")
    assert response.status_code == 400
    assert "patient" in response.json()


def test_prefill_is_for_clinicians(client_for, patient):
    assert client_for(patient.user).get(f"/api/v1/lab-requests/prefill/?patient={patient.pk}").status_code == 403


def test_due_time_is_four_hours_after_the_request(client_for, patient):
    before = timezone.now()
    due = LabRequest.objects.get(pk=create(client_for(patient.user)).json()["id"]).due_at
    assert before + timedelta(hours=4) <= due <= timezone.now() + timedelta(hours=4)


def make_alert(patient):
    """A fever alert (the test asks for ``seeded_rules``: the rule rows are there)."""
    rule = AlertRule.objects.get(code="fever")
    return Alert.objects.create(
        patient=patient, rule=rule, severity=rule.severity, message="Contact your care team today.", dedup_key="t:1"
    )


def test_prefill_from_an_alert(client_for, clinician, patient, seeded_rules):
    alert = make_alert(patient)
    body = client_for(clinician).get(f"/api/v1/lab-requests/prefill/?alert={alert.pk}").json()
    assert body["patient"] == patient.pk
    assert body["alert"] == alert.pk
    assert body["reason"].startswith(f"Follow-up of alert #{alert.pk}")


def test_prefill_from_someone_elses_alert_is_404(client_for, outsider_clinician, patient, seeded_rules):
    alert = make_alert(patient)
    assert client_for(outsider_clinician).get(f"/api/v1/lab-requests/prefill/?alert={alert.pk}").status_code == 404


def test_request_made_from_an_alert_remembers_it(client_for, clinician, patient, seeded_rules):
    alert = make_alert(patient)
    response = create(client_for(clinician), patient=patient.pk, alert=alert.pk)
    assert response.json()["source_alert"] == alert.pk


def test_an_alert_of_another_patient_is_refused(client_for, clinician, patient, other_patient, seeded_rules):
    from tests.factories import CareTeamGrantFactory

    CareTeamGrantFactory(patient=other_patient, clinician=clinician)
    alert = make_alert(other_patient)
    response = create(client_for(clinician), patient=patient.pk, alert=alert.pk)
    assert response.status_code == 400
    assert response.json() == {"alert": ["Unknown alert for this patient."]}


def test_an_unknown_alert_is_refused(client_for, patient):
    response = create(client_for(patient.user), alert=987654)
    assert response.status_code == 400
    assert "alert" in response.json()
