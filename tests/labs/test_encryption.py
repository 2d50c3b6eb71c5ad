"""The report file at rest: only ciphertext in the database and the media folder,
bound to its report, and a damaged blob is a clear error (and an audit event),
never garbage."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from labs.models import LabReportFile
from portal.audit.models import AuditEvent
from portal.crypto import open_sealed
from tests.labs.conftest import text_file

pytestmark = pytest.mark.django_db

CANARY = "CANARY-a91f3e-lumbar-7c2d"


def tables_containing(needle: str) -> list[str]:
    """Every table whose rows, rendered as text (bytea as hex), contain ``needle``
    in clear or as hex bytes."""
    hex_needle = needle.encode().hex()
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*) FROM {quoted} t WHERE t::text ILIKE %s OR t::text ILIKE %s",  # noqa: S608
                [f"%{needle}%", f"%{hex_needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def files_containing(folder: Path, needle: bytes, *, newer_than: float = 0.0) -> list[Path]:
    hits = []
    if not folder.exists():
        return hits
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                if path.stat().st_mtime < newer_than or not path.is_file():
                    continue
                if needle in path.read_bytes():
                    hits.append(path)
            except OSError:
                continue
    return hits


def test_canary_in_an_uploaded_report_is_nowhere_in_plaintext(upload, client_for, clinician, patient):
    import time

    started = time.time() - 1
    content = f"CSF analysis for the demo\nComment: {CANARY}\n".encode()
    response = upload(
        clinician,
        patient,
        file=text_file(content, name=f"{CANARY}.txt"),
        values=[{"analyte": "csf_wbc", "value": 4, "unit": "cells/uL"}],
    )
    assert response.status_code == 201
    report_id = response.json()["id"]

    # The database: no table holds the canary, in clear or as bytes. (The search
    # itself works: it finds the patient's email in the users table.)
    assert "accounts_user" in tables_containing(patient.user.email)
    assert tables_containing(CANARY) == []
    # The media folder and the temporary folder: no file holds it either.
    assert files_containing(Path(settings.MEDIA_ROOT), CANARY.encode()) == []
    assert files_containing(Path(tempfile.gettempdir()), CANARY.encode(), newer_than=started) == []

    # And yet it opens, for the right reader, byte for byte, under its original name.
    download = client_for(clinician).get(f"/api/v1/lab-reports/{report_id}/file/")
    assert download.content == content
    assert CANARY in download["Content-Disposition"]


def test_the_blob_is_bound_to_its_report(make_report):
    first, second = make_report(), make_report()
    stored = LabReportFile.objects.get(report=first)
    # A ciphertext moved onto another report does not open there.
    LabReportFile.objects.filter(report=second).update(sealed=bytes(stored.sealed))
    from portal.crypto import SealedDataError

    with pytest.raises(SealedDataError):
        open_sealed(bytes(LabReportFile.objects.get(report=second).sealed), context=f"lab_report:{second.pk}")


def flip(report, position: int) -> None:
    stored = LabReportFile.objects.get(report=report)
    blob = bytearray(bytes(stored.sealed))
    blob[position] ^= 0x01
    LabReportFile.objects.filter(report=report).update(sealed=bytes(blob))


@pytest.mark.parametrize(
    "position", [2, 12, 40, 90, -40, -1], ids=["magic", "key-id", "wrapped-key", "body", "body-end", "tag"]
)
def test_one_flipped_byte_fails_with_a_clear_error_and_an_audit_event(
    client_for, clinician, patient, make_report, position
):
    report = make_report(content=b"A CSF report body that must never come back damaged.\n" * 4)
    flip(report, position)
    response = client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/file/")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "integrity_check_failed"
    assert "integrity check" in body["detail"]
    assert b"CSF report body" not in response.content
    event = AuditEvent.objects.get(action="lab_report.integrity_failure")
    assert (event.actor, event.patient_id, event.object_id) == (clinician, patient.pk, str(report.pk))
    assert not AuditEvent.objects.filter(action="lab_report.download").exists()


def test_a_damaged_file_page_says_so_for_the_patient(client_for, patient, make_report):
    report = make_report(released=True)
    flip(report, -5)
    response = client_for(patient.user).get(f"/labs/reports/{report.pk}/file/")
    assert response.status_code == 422
    assert b"integrity check" in response.content
    assert AuditEvent.objects.filter(action="lab_report.integrity_failure", actor=patient.user).exists()


def test_a_damaged_file_name_is_caught_too(client_for, clinician, make_report):
    report = make_report()
    stored = LabReportFile.objects.get(report=report)
    name = bytearray(bytes(stored.name_sealed))
    name[-1] ^= 0x01
    LabReportFile.objects.filter(report=report).update(name_sealed=bytes(name))
    assert client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/file/").status_code == 422
