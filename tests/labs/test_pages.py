"""Lab pages: the patient's explained results, the clinician's upload, release and
review. The same services as the API; the same scoping."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labs.models import LabReport, LabRequest
from portal.audit.models import AuditEvent
from tests.labs.conftest import TEXT_BYTES
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_client():
    def make(user) -> Client:
        client = Client()
        sign_in(client, user)
        return client

    return make


def test_patient_sees_released_results_explained_with_an_accessible_range_bar(page_client, patient, make_report):
    report = make_report(
        released=True,
        values=[
            {"analyte": "csf_wbc", "value": 12, "unit": "cells/uL"},
            {"analyte": "csf_rbc", "value": 40, "unit": "cells/uL"},
            {"analyte": "csf_glucose", "value": 50, "unit": "mg/dL"},
            {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
        ],
    )
    response = page_client(patient.user).get(f"/labs/reports/{report.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    # Each value in words, with its range, never colour alone.
    assert "Your value is 12 cells/µL, above the usual range (0\u20135 cells/µL)." in html
    assert "Above the usual range" in html and "▲" in html
    assert "Borderline, just below the usual range" in html  # ratio 0.50
    assert "Your value is 40 cells/µL. There is no set usual range for this test." in html
    # The bar is an image with a text alternative.
    assert re.search(r'<svg class="range-bar"[^>]*role="img"[^>]*aria-label="Your value is 12', html)
    assert "What this test means" in html
    assert "ruled out" not in html.lower()
    assert "Clinician note" not in html
    assert "<script>" not in html.split("</head>")[1]  # no inline script in the page body


def test_patient_index_lists_released_reports_and_requests(page_client, patient, make_report):
    released = make_report(released=True)
    hidden = make_report()
    LabRequest.objects.create(patient=patient, tests=["crp"], requested_by=patient.user, due_at=released.uploaded_at)
    html = page_client(patient.user).get("/labs/").content.decode()
    assert f"/labs/reports/{released.pk}/" in html
    assert f"/labs/reports/{hidden.pk}/" not in html
    assert "Waiting for review" in html


def test_unreleased_report_page_is_404_to_the_patient(page_client, patient, make_report):
    report = make_report()
    assert page_client(patient.user).get(f"/labs/reports/{report.pk}/").status_code == 404
    assert page_client(patient.user).get(f"/labs/reports/{report.pk}/file/").status_code == 404


def test_outsider_clinician_gets_404_pages(page_client, outsider_clinician, patient, make_report):
    report = make_report()
    client = page_client(outsider_clinician)
    assert client.get(f"/labs/reports/{report.pk}/").status_code == 404
    assert client.get(f"/labs/patients/{patient.pk}/upload/").status_code == 404
    assert client.post(f"/labs/reports/{report.pk}/release/").status_code == 404


def test_clinician_report_page_has_download_and_release_and_is_audited(page_client, clinician, patient, make_report):
    report = make_report(values=[{"analyte": "csf_protein", "value": 50, "unit": "mg/dL"}])
    client = page_client(clinician)
    html = client.get(f"/labs/reports/{report.pk}/").content.decode()
    assert "Release to the patient" in html
    assert f"/labs/reports/{report.pk}/file/" in html
    assert "Clinician note" in html
    assert AuditEvent.objects.filter(action="lab_report.read", actor=clinician).exists()
    download = client.get(f"/labs/reports/{report.pk}/file/")
    assert download.content == TEXT_BYTES
    response = client.post(f"/labs/reports/{report.pk}/release/", follow=True)
    assert "Released" in response.content.decode()
    report.refresh_from_db()
    assert report.released_at is not None


def test_clinician_uploads_through_the_form(page_client, clinician, patient):
    client = page_client(clinician)
    form = client.get(f"/labs/patients/{patient.pk}/upload/")
    assert form.status_code == 200
    assert b"csf_wbc__value" in form.content
    response = client.post(
        f"/labs/patients/{patient.pk}/upload/",
        {
            "file": SimpleUploadedFile("csf.txt", b"CSF results\n", content_type="text/plain"),
            "kind": "csf",
            "collected_at": "2026-01-10T08:30",
            "csf_wbc__value": "7",
            "csf_wbc__unit": "cells/µL",
            "csf_glucose__value": "3.0",
            "csf_glucose__unit": "mmol/L",
            "serum_glucose__value": "95",
            "serum_glucose__unit": "mg/dL",
            "serum_glucose__fasting": "yes",
            "crp__value": "4",
            "crp__unit": "mg/L",
            "crp__high": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = LabReport.objects.get()
    values = {value.analyte.code: value for value in report.values.all()}
    assert values["csf_wbc"].flag == "high"
    assert str(values["csf_glucose"].value) == "54.0000"
    assert values["serum_glucose"].fasting is True
    assert values["crp"].range_source == "lab"
    assert "csf_serum_glucose_ratio" in values
    assert response["Location"] == f"/labs/reports/{report.pk}/"


def test_upload_form_uses_the_clinicians_time_zone(page_client, clinician, patient):
    clinician.time_zone = "America/New_York"
    clinician.save()
    page_client(clinician).post(
        f"/labs/patients/{patient.pk}/upload/",
        {
            "file": SimpleUploadedFile("csf.txt", b"CSF results\n"),
            "kind": "csf",
            "collected_at": "2026-01-10T08:30",
        },
    )
    assert LabReport.objects.get().collected_at.isoformat() == "2026-01-10T13:30:00+00:00"


def test_upload_form_shows_the_file_error(page_client, clinician, patient):
    response = page_client(clinician).post(
        f"/labs/patients/{patient.pk}/upload/",
        {
            "file": SimpleUploadedFile("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
            "kind": "csf",
            "collected_at": "2026-01-10T08:30",
        },
    )
    assert response.status_code == 200
    assert "Upload a PDF or a plain-text" in response.content.decode()
    assert not LabReport.objects.exists()


def test_upload_page_needs_csrf(clinician, patient):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, clinician)
    response = client.post(
        f"/labs/patients/{patient.pk}/upload/",
        {"file": SimpleUploadedFile("csf.txt", b"x"), "kind": "csf", "collected_at": "2026-01-10T08:30"},
    )
    assert response.status_code == 403
    assert not LabReport.objects.exists()


def test_patient_cannot_open_the_upload_form(page_client, patient):
    assert page_client(patient.user).get(f"/labs/patients/{patient.pk}/upload/").status_code == 403


def test_patient_asks_for_a_lab_test_and_sees_the_status(page_client, patient):
    client = page_client(patient.user)
    assert client.get("/labs/requests/new/").status_code == 200
    response = client.post("/labs/requests/new/", {"tests": ["crp"], "reason": "Back pain is back."}, follow=True)
    assert response.status_code == 200
    lab_request = LabRequest.objects.get()
    assert lab_request.requested_by == patient.user
    assert "Waiting for review" in response.content.decode()


def test_patient_request_form_errors_name_the_field(page_client, patient):
    response = page_client(patient.user).post("/labs/requests/new/", {"reason": "x"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not LabRequest.objects.exists()


def test_clinician_request_form_is_prefilled_from_the_query(page_client, clinician, patient):
    html = (
        page_client(clinician)
        .get(f"/labs/requests/new/?patient={patient.pk}&reason=Fever+day+3&tests=crp")
        .content.decode()
    )
    assert "Fever day 3" in html
    assert re.search(r'value="crp"[^>]*checked', html)


def test_clinician_reviews_a_request_on_its_page(page_client, clinician, patient):
    lab_request = LabRequest.objects.create(
        patient=patient, tests=["esr"], requested_by=patient.user, due_at="2026-11-23T12:00:00Z"
    )
    client = page_client(clinician)
    assert "Save the review" in client.get(f"/labs/requests/{lab_request.pk}/").content.decode()
    declined = client.post(f"/labs/requests/{lab_request.pk}/", {"decision": "decline"})
    # "Required to decline" is the field's help, always on the page: the error is the test.
    assert declined.status_code == 200 and "This field is required." in declined.content.decode()
    lab_request.refresh_from_db()
    assert lab_request.status == "pending"
    client.post(f"/labs/requests/{lab_request.pk}/", {"decision": "approve", "note": "Booked for 2 pm"})
    lab_request.refresh_from_db()
    assert lab_request.status == "approved"
    patient_html = page_client(patient.user).get(f"/labs/requests/{lab_request.pk}/").content.decode()
    assert "Approved" in patient_html and "Booked for 2 pm" in patient_html
    assert "Save the review" not in patient_html


def test_patient_cannot_post_a_review(page_client, patient):
    lab_request = LabRequest.objects.create(
        patient=patient, tests=["esr"], requested_by=patient.user, due_at="2026-11-23T12:00:00Z"
    )
    assert (
        page_client(patient.user).post(f"/labs/requests/{lab_request.pk}/", {"decision": "approve"}).status_code == 403
    )


def test_clinician_labs_page_lists_what_waits(
    page_client, clinician, patient, make_report, django_assert_max_num_queries
):
    make_report()
    LabRequest.objects.create(patient=patient, tests=["esr"], requested_by=patient.user, due_at="2026-11-23T12:00:00Z")
    client = page_client(clinician)
    with django_assert_max_num_queries(30):
        html = client.get("/labs/").content.decode()
    assert "Lab requests to review" in html and "Reports not yet released" in html
    assert "Erythrocyte sedimentation rate" in html


def test_dashboard_and_nav_show_labs(page_client, clinician, patient, make_report):
    make_report(released=True)
    patient_home = page_client(patient.user).get("/").content.decode()
    assert "Lab results" in patient_home
    clinician_home = page_client(clinician).get("/").content.decode()
    assert 'href="/labs/"' in clinician_home


def test_chart_panel_renders_for_the_care_team(rf, clinician, patient, make_report):
    from labs.chart import panels

    make_report()
    request = rf.get("/")
    request.user = clinician
    (html,) = panels(request, patient)
    assert "Upload a lab report" in html
    assert "not yet released" in html
    assert AuditEvent.objects.filter(action="lab_report.list", actor=clinician, patient_id=patient.pk).exists()


def test_admin_edits_analytes_but_sees_no_reports(page_client, admin):
    client = page_client(admin)
    assert client.get("/admin/labs/analyte/").status_code == 200
    assert client.get("/admin/labs/labreport/").status_code == 404
    assert client.get("/labs/").status_code == 403


def test_clinician_request_form_without_a_patient_goes_back_to_labs(page_client, clinician):
    response = page_client(clinician).get("/labs/requests/new/")
    assert response.status_code == 302
    assert response["Location"] == "/labs/"


def test_clinician_request_form_for_someone_else_is_404(page_client, outsider_clinician, patient):
    assert page_client(outsider_clinician).get(f"/labs/requests/new/?patient={patient.pk}").status_code == 404


def test_clinician_requests_labs_through_the_form(page_client, clinician, patient):
    response = page_client(clinician).post(
        "/labs/requests/new/", {"patient": patient.pk, "tests": ["crp", "esr"], "reason": "Fever on day 3"}
    )
    assert response.status_code == 302
    lab_request = LabRequest.objects.get()
    assert (lab_request.patient, lab_request.requested_by, lab_request.tests) == (patient, clinician, ["crp", "esr"])


def test_request_labs_from_an_alert_page(page_client, clinician, patient):
    from tests.labs.test_requests_api import make_alert

    alert = make_alert(patient)
    client = page_client(clinician)
    html = client.get(f"/labs/requests/new/?alert={alert.pk}").content.decode()
    assert f"Follow-up of alert #{alert.pk}" in html
    assert f'name="alert" value="{alert.pk}"' in html
    response = client.post(
        "/labs/requests/new/", {"alert": alert.pk, "tests": ["crp", "blood_culture"], "reason": "Fever on day 3"}
    )
    assert response.status_code == 302
    lab_request = LabRequest.objects.get()
    assert (lab_request.patient, lab_request.source_alert_id) == (patient, alert.pk)
