"""One procedure date, and every time in the patient's own zone, on every page
(issue 17 point 3). Jo lives in New York; the procedure was at 01:08 UTC on 3 Dec,
which is 20:08 on 2 Dec for her: every page must say 2 Dec, none 3 Dec (UTC's day).
The trend charts' day ticks are drawn for calendar days and are left out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from alerts.services import evaluate_entry
from labs.services import release_lab_report, upload_lab_report
from messaging.services import start_thread
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db

PROCEDURE_AT = datetime(2026, 12, 3, 1, 8, tzinfo=UTC)  # 2 Dec, 20:08 in New York
NOW = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
UTC_DAY = re.compile(r"\b3 Dec\b")


def visible_text(html: str) -> str:
    """The page without its charts (day ticks of the calendar) and scripts."""
    return re.sub(r"<(svg|script)\b.*?</\1>", " ", html, flags=re.S)


@pytest.fixture
def new_york_world():
    with time_machine.travel(NOW, tick=False):
        patient = PatientFactory(
            user__email="jo.ny@example.test", user__time_zone="America/New_York", procedure=PROCEDURE_AT
        )
        clinician = ClinicianFactory(email="dr.ny@clinic.test")
        CareTeamGrantFactory(patient=patient, clinician=clinician)
        entry = SymptomEntryFactory(
            patient=patient,
            recorded_at=datetime(2026, 12, 3, 1, 30, tzinfo=UTC),
            temperature_c=Decimal("38.4"),
        )
        evaluate_entry(entry)
        report = upload_lab_report(
            uploaded_by=clinician,
            patient=patient,
            kind="csf",
            collected_at=datetime(2026, 12, 3, 1, 13, tzinfo=UTC),
            values=[{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}],
            file_content=b"CSF analysis\n",
            file_name="csf.txt",
        )
        release_lab_report(report=report, released_by=clinician)
        thread = start_thread(author=patient.user, subject="Plaster", body="Can I shower?")
        yield patient, report, thread


def test_every_patient_page_shows_one_procedure_date_in_the_patients_zone(client_for, new_york_world):
    patient, report, thread = new_york_world
    alert = patient.alerts.get()
    pages = [
        "/",
        "/diary/",
        "/history/",
        "/messages/",
        f"/messages/{thread.pk}/",
        "/alerts/",
        f"/alerts/{alert.pk}/",
        "/labs/",
        f"/labs/reports/{report.pk}/",
        "/pain-plan/",
        "/pain-plan/health/",
        "/medications/",
        "/care-team/",
        "/access-log/",
        "/settings/",
    ]
    with time_machine.travel(NOW, tick=False):
        client = client_for(patient.user)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            text = visible_text(response.content.decode())
            assert "since your procedure on 2 Dec 2026" in text, path
            assert not UTC_DAY.search(text), f"{path} shows UTC's day: {UTC_DAY.search(text).group(0)}"
        # The lab report's collection time and the entry's, in New York time.
        assert "Wed 2 Dec 2026, 20:13" in client.get(f"/labs/reports/{report.pk}/").content.decode()
        assert "Wed 2 Dec, 20:30" in client.get("/history/").content.decode()


def test_the_reader_time_filter_shows_the_active_zone():
    from django.utils import timezone

    from portal.templatetags.reader_time import reader_time

    with timezone.override("America/New_York"):
        assert reader_time(PROCEDURE_AT, "day") == "2 Dec 2026"
        assert reader_time(PROCEDURE_AT, "moment") == "Wed 2 Dec, 20:08"
    assert reader_time(None) == ""
