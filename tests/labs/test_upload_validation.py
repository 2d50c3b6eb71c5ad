"""Bad uploads get a 400 naming the field, and nothing is stored (no report, no
file, no values, no inbox item)."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from labs.models import LabReport, LabReportFile, LabValue
from messaging.models import InboxItem
from tests.labs.conftest import PDF_BYTES, text_file

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 64
HTML_AS_PDF = b"<html><script>alert(1)</script></html>"


def assert_nothing_stored():
    assert not LabReport.objects.exists()
    assert not LabReportFile.objects.exists()
    assert not LabValue.objects.exists()
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "claimed"),
    [
        (PNG, "report.pdf", "application/pdf"),  # a picture that claims to be a PDF
        (ZIP, "report.txt", "text/plain"),
        (b"\xff\xfe\x00\x00latin", "report.txt", "text/plain"),  # not UTF-8
        (b"text with a \x00 NUL byte", "report.txt", "text/plain"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "report.pdf", "application/pdf"),
    ],
)
def test_a_file_that_is_not_pdf_or_text_by_content_is_refused(upload, clinician, patient, content, name, claimed):
    response = upload(clinician, patient, file=text_file(content, name=name, content_type=claimed))
    assert response.status_code == 400
    assert list(response.json()) == ["file"]
    assert "PDF" in response.json()["file"][0]
    assert_nothing_stored()


def test_type_comes_from_the_content_not_the_name(upload, clinician, patient):
    response = upload(clinician, patient, file=text_file(PDF_BYTES, name="notes.txt", content_type="text/plain"))
    assert response.status_code == 201
    assert response.json()["file"]["content_type"] == "application/pdf"


def test_html_text_is_stored_as_plain_text_and_served_as_an_attachment(upload, client_for, clinician, patient):
    response = upload(clinician, patient, file=text_file(HTML_AS_PDF, name="x.html", content_type="text/html"))
    assert response.status_code == 201
    download = client_for(clinician).get(response.json()["file"]["url"])
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="x.txt"'


def test_missing_file_is_400_naming_file(client_for, clinician, patient):
    payload = {"patient": patient.pk, "kind": "csf", "collected_at": "2026-01-10T08:00:00Z", "values": "[]"}
    response = client_for(clinician).post("/api/v1/lab-reports/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
    assert_nothing_stored()


def test_empty_file_is_400(upload, clinician, patient):
    response = upload(clinician, patient, file=text_file(b""))
    assert response.status_code == 400
    assert "file" in response.json()


@override_settings(AFTERCARE_MAX_UPLOAD_BYTES=1024)
def test_file_over_the_limit_is_400_and_never_buffered(upload, clinician, patient):
    response = upload(clinician, patient, file=text_file(b"a" * 1025))
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 1 KB."]}
    assert_nothing_stored()


@override_settings(AFTERCARE_MAX_UPLOAD_BYTES=1024)
def test_file_at_the_limit_is_accepted(upload, clinician, patient):
    assert upload(clinician, patient, file=text_file(b"a" * 1024)).status_code == 201


def test_ten_megabytes_plus_one_byte_is_refused(upload, clinician, patient):
    response = upload(clinician, patient, file=text_file(b"a" * (10 * 1024 * 1024 + 1)))
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 10 MB."]}
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([{"analyte": "csf_sparkle", "value": 3}], "unknown analyte"),
        ([{"analyte": "csf_wbc", "value": "three", "unit": "cells/uL"}], "must be a number"),
        ([{"analyte": "csf_wbc", "value": True, "unit": "cells/uL"}], "must be a number"),
        ([{"analyte": "csf_wbc", "value": -1, "unit": "cells/uL"}], "must be a number"),
        ([{"analyte": "csf_wbc", "value": 1e12, "unit": "cells/uL"}], "must be a number"),
        ([{"analyte": "csf_wbc"}], "must be a number"),
        (
            [
                {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
                {"analyte": "csf_wbc", "value": 4, "unit": "cells/uL"},
            ],
            "more than once",
        ),
        ([{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL", "colour": "red"}], "only analyte"),
        ([{"analyte": "csf_glucose", "value": 3, "unit": "furlongs"}], "mg/dL or mmol/L"),
        ([{"analyte": "crp", "value": 3, "unit": "mg/L", "low": 5, "high": 1}], "low limit is above"),
        ([{"analyte": "crp", "value": 3, "unit": "mg/L", "high": "ten"}], "high must be a number"),
        ([{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL", "fasting": True}], "fasting"),
        (["csf_wbc"], "must be an object"),
        ({"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}, "JSON list"),
        (
            [
                {"analyte": "csf_glucose", "value": 50, "unit": "mg/dL"},
                {"analyte": "serum_glucose", "value": 0, "unit": "mg/dL"},
            ],
            "above 0",
        ),
    ],
)
def test_bad_values_are_400_naming_values(upload, clinician, patient, values, fragment):
    response = upload(clinician, patient, values=values)
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["values"]
    assert fragment in " ".join(response.json()["values"])
    assert_nothing_stored()


def test_values_that_are_not_json_are_400(client_for, clinician, patient):
    from tests.labs.conftest import upload_payload

    payload = upload_payload(patient)
    payload["values"] = "[{not json"
    response = client_for(clinician).post("/api/v1/lab-reports/", payload, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["values"]


def test_a_csf_value_in_a_blood_report_is_refused(upload, clinician, patient):
    response = upload(clinician, patient, kind="blood", values=[{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}])
    assert response.status_code == 400
    assert "CSF report" in response.json()["values"][0]


def test_serum_glucose_and_crp_fit_a_csf_report(upload, clinician, patient):
    values = [
        {"analyte": "serum_glucose", "value": 90, "unit": "mg/dL"},
        {"analyte": "crp", "value": 2, "unit": "mg/L"},
    ]
    assert upload(clinician, patient, values=values).status_code == 201


def test_a_report_may_have_no_values(upload, clinician, patient):
    # A blood culture result, for example, is the file alone.
    response = upload(clinician, patient, kind="blood", values=[])
    assert response.status_code == 201
    assert response.json()["values"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "urine"),
        ("collected_at", "yesterday"),
        ("collected_at", "2999-01-01T00:00:00Z"),
        ("collected_at", "1900-01-01T00:00:00Z"),
        ("patient", "abc"),
        ("answers_request", "abc"),
    ],
)
def test_bad_fields_are_400_naming_them(client_for, clinician, patient, field, value):
    from tests.labs.conftest import upload_payload

    payload = upload_payload(patient)
    payload[field] = value
    response = client_for(clinician).post("/api/v1/lab-reports/", payload, format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert_nothing_stored()


def test_several_problems_are_reported_together(upload, clinician, patient):
    response = upload(
        clinician,
        patient,
        collected_at="2999-01-01T00:00:00Z",
        values=[{"analyte": "nope", "value": 1}],
        file=text_file(PNG),
    )
    assert response.status_code == 400
    assert set(response.json()) == {"collected_at", "values", "file"}


def test_a_json_body_without_a_file_is_400_not_500(client_for, clinician, patient):
    payload = {
        "patient": patient.pk,
        "kind": "csf",
        "collected_at": "2026-01-10T08:00:00Z",
        "values": [{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}],
    }
    response = client_for(clinician).post("/api/v1/lab-reports/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}


def test_malformed_multipart_is_400(client_for, clinician):
    response = client_for(clinician).generic(
        "POST",
        "/api/v1/lab-reports/",
        b"--broken\r\nnot really multipart",
        content_type="multipart/form-data; boundary=other",
    )
    assert response.status_code == 400


def test_values_as_json_text_multipart_field(upload, clinician, patient):
    response = upload(clinician, patient, values=json.loads('[{"analyte": "crp", "value": 3.5, "unit": "mg/L"}]'))
    assert response.status_code == 201
    assert response.json()["values"][0]["value"] == 3.5
