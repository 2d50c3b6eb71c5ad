"""Lab reports API, persona by persona (API.md "Labs").

Scoping: a path id the caller may not see is 404 (an unreleased report included,
for the patient); ``?patient=`` likewise; a body ``patient`` the clinician may not
use is 400 "Unknown patient." whether it exists or not.
"""

from __future__ import annotations

import pytest

from labs.models import LabReport, LabReportFile
from messaging.models import InboxItem
from portal.audit.models import AuditEvent
from portal.outbox.models import Notification
from tests.labs.conftest import TEXT_BYTES

pytestmark = pytest.mark.django_db


# --- POST /api/v1/lab-reports/ ---------------------------------------------------------


def test_clinician_uploads_a_report_for_a_care_team_patient(upload, clinician, patient):
    response = upload(
        clinician,
        patient,
        values=[
            {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
            {"analyte": "csf_glucose", "value": 62, "unit": "mg/dL"},
            {"analyte": "serum_glucose", "value": 98, "unit": "mg/dL", "fasting": True},
        ],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"] == patient.pk
    assert body["kind"] == "csf"
    assert body["released"] is False
    assert body["file"] == {
        "content_type": "text/plain",
        "size": len(TEXT_BYTES),
        "url": f"/api/v1/lab-reports/{body['id']}/file/",
    }
    values = {value["analyte"]: value for value in body["values"]}
    assert set(values) == {"csf_wbc", "csf_glucose", "serum_glucose", "csf_serum_glucose_ratio"}
    wbc = values["csf_wbc"]
    for key in ("analyte", "value", "unit", "low", "high", "flag", "explanation"):
        assert key in wbc
    assert (wbc["value"], wbc["unit"], wbc["low"], wbc["high"], wbc["flag"]) == (3, "cells/µL", 0, 5, "normal")
    assert values["csf_serum_glucose_ratio"]["value"] == 0.6327  # 62 / 98, flagged on the exact ratio
    assert values["csf_serum_glucose_ratio"]["shown"] == "0.63"
    assert values["csf_serum_glucose_ratio"]["computed"] is True
    assert values["serum_glucose"]["fasting"] is True
    assert AuditEvent.objects.filter(action="lab_report.upload", patient_id=patient.pk).exists()


def test_anesthesiologist_on_the_care_team_may_upload(upload, anesthesiologist, patient):
    assert upload(anesthesiologist, patient).status_code == 201


def test_outsider_clinician_gets_unknown_patient_and_nothing_is_stored(upload, outsider_clinician, patient):
    response = upload(outsider_clinician, patient)
    assert response.status_code == 400
    assert response.json() == {"patient": ["Unknown patient."]}
    assert not LabReport.objects.exists()


def test_a_patient_id_that_does_not_exist_reads_the_same(upload, clinician, patient):
    patient.pk = 999999
    assert upload(clinician, patient).json() == {"patient": ["Unknown patient."]}


def test_patient_cannot_upload(upload, patient):
    assert upload(patient.user, patient).status_code == 403


def test_admin_cannot_upload(upload, admin, patient):
    assert upload(admin, patient).status_code == 403


def test_clinician_without_mfa_is_told_to_set_it_up(upload, clinician_without_mfa, patient):
    response = upload(clinician_without_mfa, patient)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_anonymous_upload_is_401(anon_client, patient):
    assert anon_client.post("/api/v1/lab-reports/", {}, format="multipart").status_code == 401


# --- GET /api/v1/lab-reports/ ------------------------------------------------------------


def test_clinician_lists_released_and_unreleased_reports_and_the_read_is_audited(
    client_for, clinician, patient, make_report
):
    unreleased, released = make_report(), make_report(released=True)
    response = client_for(clinician).get(f"/api/v1/lab-reports/?patient={patient.pk}")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {unreleased.pk, released.pk}
    assert AuditEvent.objects.filter(action="lab_report.list", actor=clinician, patient_id=patient.pk).exists()


def test_patient_lists_only_released_reports(client_for, patient, make_report):
    make_report()
    released = make_report(released=True)
    for url in ("/api/v1/lab-reports/", f"/api/v1/lab-reports/?patient={patient.pk}"):
        body = client_for(patient.user).get(url).json()
        assert [row["id"] for row in body["results"]] == [released.pk]
        assert body["count"] == 1


def test_other_patient_sees_nothing_of_the_patient(client_for, other_patient, patient, make_report):
    make_report(released=True)
    assert client_for(other_patient.user).get(f"/api/v1/lab-reports/?patient={patient.pk}").status_code == 404
    assert client_for(other_patient.user).get("/api/v1/lab-reports/").json()["count"] == 0


def test_outsider_clinician_list_is_404_for_the_patient(client_for, outsider_clinician, patient, make_report):
    make_report(released=True)
    assert client_for(outsider_clinician).get(f"/api/v1/lab-reports/?patient={patient.pk}").status_code == 404
    assert client_for(outsider_clinician).get("/api/v1/lab-reports/").json()["count"] == 0


def test_list_for_admin_is_403_and_for_anonymous_401(client_for, admin, anon_client):
    assert client_for(admin).get("/api/v1/lab-reports/").status_code == 403
    assert anon_client.get("/api/v1/lab-reports/").status_code == 401


def test_list_queries_do_not_grow_with_reports(
    client_for, clinician, patient, make_report, django_assert_max_num_queries
):
    for _ in range(5):
        make_report(
            values=[
                {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
                {"analyte": "csf_protein", "value": 30, "unit": "mg/dL"},
            ]
        )
    client = client_for(clinician)
    with django_assert_max_num_queries(14):
        assert client.get(f"/api/v1/lab-reports/?patient={patient.pk}").json()["count"] == 5


# --- GET /api/v1/lab-reports/<id>/ --------------------------------------------------------


def test_unreleased_report_is_404_to_the_patient(client_for, patient, make_report):
    report = make_report()
    client = client_for(patient.user)
    assert client.get(f"/api/v1/lab-reports/{report.pk}/").status_code == 404
    assert client.get(f"/api/v1/lab-reports/{report.pk}/file/").status_code == 404


def test_released_report_is_shown_to_the_patient_with_explanations(client_for, patient, make_report):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 12, "unit": "cells/uL"}], released=True)
    body = client_for(patient.user).get(f"/api/v1/lab-reports/{report.pk}/").json()
    (value,) = body["values"]
    assert value["flag"] == "high"
    assert "white blood cells" in value["explanation"]
    assert "clinician_note" not in value  # for clinicians only
    assert not AuditEvent.objects.filter(action="lab_report.read").exists()  # the patient's own read


def test_clinician_reads_an_unreleased_report_and_it_is_audited(client_for, clinician, patient, make_report):
    report = make_report()
    body = client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/").json()
    assert body["released"] is False
    assert body["values"][0]["clinician_note"]
    event = AuditEvent.objects.get(action="lab_report.read")
    assert (event.actor, event.patient_id, event.object_id) == (clinician, patient.pk, str(report.pk))


@pytest.mark.parametrize("persona", ["other_patient", "outsider_clinician"])
def test_report_of_someone_else_is_404(request, client_for, make_report, persona):
    report = make_report(released=True)
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    client = client_for(user)
    for suffix in ("", "file/"):
        assert client.get(f"/api/v1/lab-reports/{report.pk}/{suffix}").status_code == 404
    for action in ("release/", "entered-in-error/"):
        expected = 403 if persona == "other_patient" else 404
        assert client.post(f"/api/v1/lab-reports/{report.pk}/{action}", {"reason": "x"}).status_code == expected


def test_missing_report_is_404(client_for, clinician):
    assert client_for(clinician).get("/api/v1/lab-reports/424242/").status_code == 404


def test_entered_in_error_report_disappears_for_the_patient(client_for, clinician, patient, make_report):
    report = make_report(released=True)
    response = client_for(clinician).post(
        f"/api/v1/lab-reports/{report.pk}/entered-in-error/", {"reason": "Wrong patient label"}
    )
    assert response.status_code == 200
    assert response.json()["entered_in_error"] is True
    assert client_for(patient.user).get(f"/api/v1/lab-reports/{report.pk}/").status_code == 404
    assert LabReport.objects.filter(pk=report.pk).exists()  # kept, never destroyed
    again = client_for(clinician).post(f"/api/v1/lab-reports/{report.pk}/entered-in-error/", {"reason": "again"})
    assert again.status_code == 400


def test_entered_in_error_needs_a_reason(client_for, clinician, make_report):
    report = make_report()
    response = client_for(clinician).post(f"/api/v1/lab-reports/{report.pk}/entered-in-error/", {})
    assert response.status_code == 400
    assert "reason" in response.json()


# --- GET /api/v1/lab-reports/<id>/file/ ----------------------------------------------------


def test_patient_downloads_a_released_file_and_the_download_is_audited(client_for, patient, make_report):
    report = make_report(released=True)
    response = client_for(patient.user).get(f"/api/v1/lab-reports/{report.pk}/file/")
    assert response.status_code == 200
    assert response.content == TEXT_BYTES
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="lab_report.download")
    assert (event.actor, event.patient_id, event.object_id) == (patient.user, patient.pk, str(report.pk))


def test_clinician_downloads_an_unreleased_pdf(client_for, clinician, make_report):
    from tests.labs.conftest import PDF_BYTES

    report = make_report(content=PDF_BYTES)
    response = client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/file/")
    assert response.status_code == 200
    assert response.content == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert AuditEvent.objects.filter(action="lab_report.download", actor=clinician).exists()


def test_file_for_admin_is_403(client_for, admin, make_report):
    assert client_for(admin).get(f"/api/v1/lab-reports/{make_report().pk}/file/").status_code == 403


# --- POST /api/v1/lab-reports/<id>/release/ ------------------------------------------------


def test_release_shows_the_report_and_notifies_the_patient_without_health_data(
    client_for, clinician, patient, make_report, django_capture_on_commit_callbacks
):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 40, "unit": "cells/uL"}])
    with django_capture_on_commit_callbacks():
        response = client_for(clinician).post(f"/api/v1/lab-reports/{report.pk}/release/")
    assert response.status_code == 200
    assert response.json()["released"] is True
    assert response.json()["released_by"]["id"] == clinician.pk
    notification = Notification.objects.get(recipient=patient.user)
    assert notification.kind == "lab_released"
    assert notification.link == f"/labs/reports/{report.pk}/"
    assert "wbc" not in notification.link.lower()
    assert client_for(patient.user).get(f"/api/v1/lab-reports/{report.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="lab_report.release", actor=clinician).exists()


def test_release_twice_is_400_and_notifies_once(client_for, clinician, patient, make_report):
    report = make_report()
    client = client_for(clinician)
    assert client.post(f"/api/v1/lab-reports/{report.pk}/release/").status_code == 200
    second = client.post(f"/api/v1/lab-reports/{report.pk}/release/")
    assert second.status_code == 400
    assert "already released" in second.json()["non_field_errors"][0]
    assert Notification.objects.filter(recipient=patient.user).count() == 1


def test_patient_cannot_release(client_for, patient, make_report):
    report = make_report()
    assert client_for(patient.user).post(f"/api/v1/lab-reports/{report.pk}/release/").status_code == 403


def test_entered_in_error_report_cannot_be_released(client_for, clinician, make_report):
    report = make_report()
    client = client_for(clinician)
    client.post(f"/api/v1/lab-reports/{report.pk}/entered-in-error/", {"reason": "duplicate"})
    assert client.post(f"/api/v1/lab-reports/{report.pk}/release/").status_code == 400


def test_a_revoked_clinician_loses_access_at_once(client_for, clinician, patient, make_report):
    from django.utils import timezone

    report = make_report()
    patient.care_team_grants.filter(clinician=clinician).update(revoked_at=timezone.now())
    client = client_for(clinician)
    assert client.get(f"/api/v1/lab-reports/{report.pk}/").status_code == 404
    assert client.post(f"/api/v1/lab-reports/{report.pk}/release/").status_code == 404


# --- The clinician review item -------------------------------------------------------------


def test_each_upload_posts_one_lab_result_item(upload, clinician, patient):
    body = upload(clinician, patient).json()
    item = InboxItem.objects.get(kind="lab_result")
    assert (item.patient, item.priority, item.source_id) == (patient, "normal", str(body["id"]))
    assert item.link == f"/labs/reports/{body['id']}/"


def test_file_row_holds_only_ciphertext(upload, clinician, patient):
    body = upload(clinician, patient).json()
    stored = LabReportFile.objects.get(report_id=body["id"])
    assert TEXT_BYTES not in bytes(stored.sealed)
    assert bytes(stored.sealed).startswith(b"AC1")
