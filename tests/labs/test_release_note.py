"""Releasing a report asks for confirmation and takes an optional note to the patient
(issue 17 point 5; issue 16 relies on it): the patient reads the note with the
releasing clinician's name; the note is sealed at rest; a bad note is a 400 naming it."""

from __future__ import annotations

import pytest
from django.db import connection

from labs.models import LabReport

pytestmark = pytest.mark.django_db

NOTE = "Your protein is a little high. Dr Lee will call you on Monday to talk it through."
HIGH_PROTEIN = [{"analyte": "csf_protein", "value": 52, "unit": "mg/dL"}]


def test_release_asks_first_lists_what_is_outside_and_takes_a_note(client_for, clinician, patient, make_report):
    report = make_report(values=HIGH_PROTEIN)
    client = client_for(clinician)
    detail = client.get(f"/labs/reports/{report.pk}/").content.decode()
    assert f'href="/labs/reports/{report.pk}/release/"' in detail  # a link to the confirmation, no one-click POST
    page = client.get(f"/labs/reports/{report.pk}/release/").content.decode()
    assert "Release this report to" in page
    assert "1 value outside the usual range" in page
    assert "A note to the patient (optional)" in page
    report.refresh_from_db()
    assert report.released_at is None  # asking released nothing

    response = client.post(f"/labs/reports/{report.pk}/release/", {"note": NOTE})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.released_at is not None and report.release_note == NOTE

    seen = client_for(patient.user).get(f"/labs/reports/{report.pk}/").content.decode()
    assert f"A note from {clinician.display_name}" in seen
    assert NOTE in seen
    assert "Lab request #" not in seen


def test_release_without_a_note_says_who_released_it(client_for, clinician, patient, make_report):
    report = make_report(values=HIGH_PROTEIN)
    client_for(clinician).post(f"/labs/reports/{report.pk}/release/", {"note": ""})
    seen = client_for(patient.user).get(f"/labs/reports/{report.pk}/").content.decode()
    assert f"Released to you by {clinician.display_name}" in seen


def test_the_note_is_sealed_at_rest(client_for, clinician, make_report):
    report = make_report(values=HIGH_PROTEIN)
    client_for(clinician).post(f"/labs/reports/{report.pk}/release/", {"note": NOTE})
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM labs_labreport t WHERE id = %s", [report.pk])
        row = cursor.fetchone()[0]
    assert "protein is a little high" not in row


def test_the_api_takes_the_note_and_refuses_a_long_one_naming_it(client_for, clinician, make_report):
    report = make_report(values=HIGH_PROTEIN)
    client = client_for(clinician)
    answer = client.post(
        f"/api/v1/lab-reports/{report.pk}/release/", {"note": "x" * 1001}, content_type="application/json"
    )
    assert answer.status_code == 400 and "note" in answer.json()
    assert LabReport.objects.get(pk=report.pk).released_at is None  # nothing half-saved
    answer = client.post(f"/api/v1/lab-reports/{report.pk}/release/", {"note": NOTE}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["release_note"] == NOTE
