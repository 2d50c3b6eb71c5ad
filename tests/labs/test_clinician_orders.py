"""Issue 16 point 5: a clinician's lab request is an order (status ``ordered`` at once,
priority routine or urgent, no review of their own, clinician wording); a patient's
request keeps its review."""

from __future__ import annotations

import pytest

from labs.models import LabRequest
from messaging.models import InboxItem
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def order(client, patient, **payload):
    body = {"patient": patient.pk, "tests": ["crp", "blood_culture"], "reason": "Fever day 3, rule out infection."}
    body.update(payload)
    return client.post("/api/v1/lab-requests/", body, format="json")


def test_a_clinicians_request_is_an_order_at_once(client_for, clinician, patient):
    response = order(client_for(clinician), patient, priority="urgent")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["priority"]) == ("ordered", "urgent")
    lab_request = LabRequest.objects.get(pk=body["id"])
    assert lab_request.reviewed_by == clinician  # decided as it was placed
    # Nothing for the clinician to approve: no review item, and review is refused.
    assert not InboxItem.objects.filter(kind="lab_request").exists()
    review = client_for(clinician).post(
        f"/api/v1/lab-requests/{lab_request.pk}/review/", {"decision": "approve"}, format="json"
    )
    assert review.status_code == 400
    assert AuditEvent.objects.filter(action="lab_request.order", actor=clinician, patient_id=patient.pk).exists()


def test_the_priority_defaults_to_routine_and_a_bad_one_is_a_400_naming_it(client_for, clinician, patient):
    assert order(client_for(clinician), patient).json()["priority"] == "routine"
    response = order(client_for(clinician), patient, priority="stat")
    assert response.status_code == 400 and "priority" in response.json()
    assert LabRequest.objects.count() == 1


def test_a_patients_request_keeps_its_review(client_for, patient, clinician):
    response = client_for(patient.user).post(
        "/api/v1/lab-requests/", {"tests": ["crp"], "reason": "Back aches.", "priority": "urgent"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    item = InboxItem.objects.get(kind="lab_request")
    assert item.priority == "high"  # an urgent request is reviewed sooner
    assert item.summary.startswith("Lab request by the patient to review")


def test_the_order_page_speaks_to_the_clinician(client_for, clinician, patient):
    client = client_for(clinician)
    page = client.get(f"/labs/requests/new/?patient={patient.pk}").content.decode()
    assert "Order lab tests" in page and "Place the order" in page and "Indication" in page
    assert "review" not in page.split("<main", 1)[1].split("</form>")[0].lower().replace("no review step", "")
    response = client.post(
        f"/labs/requests/new/?patient={patient.pk}",
        {"patient": patient.pk, "tests": ["crp"], "reason": "Rising pain.", "priority": "urgent"},
        follow=True,
    )
    page = response.content.decode()
    assert "Ordered (urgent): " in page
    assert "Ordered (urgent)</span>" in page and "Reviewed" not in page and "Declined" not in page
    assert LabRequest.objects.get().status == "ordered"
