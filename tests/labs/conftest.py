"""Lab fixtures: uploading through the API as a clinician, and ready-made reports."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labs.models import LabReport
from labs.services import release_lab_report, upload_lab_report
from messaging.models import InboxItem

COLLECTED_AT = "2026-01-10T08:30:00Z"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT_BYTES = b"CSF analysis\nWhite cells 3 /uL\n"


def text_file(content: bytes = TEXT_BYTES, name: str = "report.txt", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def upload_payload(patient, *, values=None, file=None, kind="csf", collected_at=COLLECTED_AT, **extra) -> dict:
    payload = {
        "patient": patient.pk,
        "kind": kind,
        "collected_at": collected_at,
        "values": json.dumps(
            values if values is not None else [{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}]
        ),
        "file": file if file is not None else text_file(),
    }
    payload.update(extra)
    return payload


def review_item(report) -> InboxItem:
    """The clinician's review item of a new report."""
    return InboxItem.objects.get(kind="lab_result", source_type="labs.labreport", source_id=str(report.pk))


@pytest.fixture(autouse=True)
def analytes(request):
    """The analyte rows come from a data migration. A transactional test elsewhere in
    the suite flushes them; seed them again (tests/reference_data.py) if so."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from labs.models import Analyte
    from tests.reference_data import seed_analytes

    if not Analyte.objects.exists():
        seed_analytes()


@pytest.fixture
def upload(client_for):
    """``upload(user, patient, **payload)`` -> the API response of a multipart upload."""

    def post(user, patient, **kwargs):
        return client_for(user).post("/api/v1/lab-reports/", upload_payload(patient, **kwargs), format="multipart")

    return post


@pytest.fixture
def make_report(clinician, patient):
    """``make_report(values=..., released=False, content=...)`` through the service."""

    def make(*, values=None, released=False, content=TEXT_BYTES, kind="csf", for_patient=None, by=None) -> LabReport:
        from django.utils.dateparse import parse_datetime

        report = upload_lab_report(
            uploaded_by=by or clinician,
            patient=for_patient or patient,
            kind=kind,
            collected_at=parse_datetime(COLLECTED_AT),
            values=values if values is not None else [{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}],
            file_content=content,
            file_name="report.txt",
        )
        if released:
            release_lab_report(report=report, released_by=by or clinician)
            report.refresh_from_db()
        return report

    return make
