"""The medication log: doses, 24-hour totals against the cap, the warning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from patients.models import MedicationDose, Procedure
from patients.services import highest_24h_total

URL = "/api/v1/medications/"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def at_now(patient):
    Procedure.objects.filter(patient=patient).update(performed_at=NOW - timedelta(days=2))
    with time_machine.travel(NOW, tick=False):
        yield


def log(api, medication_class="acetaminophen", dose_mg=500, taken_at=None):
    body = {"medication_class": medication_class, "dose_mg": dose_mg}
    if taken_at is not None:
        body["taken_at"] = taken_at.isoformat()
    return api.post(URL, body, format="json")


def test_a_dose_with_its_24_hour_total(patient_api):
    response = log(patient_api, dose_mg=1000)
    assert response.status_code == 201
    body = response.json()
    assert body["medication_class"] == "acetaminophen" and body["dose_mg"] == 1000
    assert body["total_24h_mg"] == 1000 and body["cap_mg"] == 3000 and body["over_cap"] is False
    assert body["drug"] == "acetaminophen" and body["severity"] is None
    assert body["message"] == body["warning"] == ""


def test_totals_count_only_the_last_24_hours_of_the_same_class(patient_api):
    log(patient_api, dose_mg=1000, taken_at=NOW - timedelta(hours=25))  # outside the window
    log(patient_api, dose_mg=1000, taken_at=NOW - timedelta(hours=10))
    log(patient_api, "nsaid", 400, taken_at=NOW - timedelta(hours=2))
    body = log(patient_api, dose_mg=500).json()
    assert body["total_24h_mg"] == 1500


def test_reaching_the_cap_warns(patient_api):
    for hours in (20, 14, 8):
        log(patient_api, dose_mg=1000 if hours != 8 else 500, taken_at=NOW - timedelta(hours=hours))
    body = log(patient_api, dose_mg=500).json()
    assert body["total_24h_mg"] == 3000
    assert body["over_cap"] is True  # "warns at the cap" (>=)
    assert "3,000 mg" in body["message"] and "Contact your care team" in body["message"]
    assert body["warning"] == body["message"]  # the older field, kept for older clients


def test_a_late_logged_dose_counts_against_later_doses(patient_api):
    log(patient_api, "nsaid", 800, taken_at=NOW - timedelta(hours=1))
    body = log(patient_api, "nsaid", 400, taken_at=NOW - timedelta(hours=6)).json()
    assert body["total_24h_mg"] == 1200 and body["over_cap"] is True


def test_caffeine_cap_in_pregnancy(patient, patient_api):
    patient.pregnancy_weeks = 10
    patient.save()
    body = log(patient_api, "caffeine", 200).json()
    assert body["cap_mg"] == 200 and body["over_cap"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"medication_class": "opioid", "dose_mg": 5}, "medication_class"),
        ({"dose_mg": 5}, "medication_class"),
        ({"medication_class": "nsaid", "dose_mg": 0}, "dose_mg"),
        ({"medication_class": "nsaid", "dose_mg": 20001}, "dose_mg"),  # more than any product holds
        ({"medication_class": "nsaid", "drug": "aspirin", "dose_mg": 300}, "drug"),
        ({"medication_class": "nsaid", "drug": 7, "dose_mg": 300}, "drug"),
        ({"medication_class": "nsaid", "dose_mg": 12.5}, "dose_mg"),
        ({"medication_class": "nsaid"}, "dose_mg"),
        ({"medication_class": "nsaid", "dose_mg": 200, "taken_at": "2999-01-01T00:00:00Z"}, "taken_at"),
        ({"medication_class": "nsaid", "dose_mg": 200, "taken_at": "2026-11-20T00:00:00Z"}, "taken_at"),
        ({"medication_class": "nsaid", "dose_mg": 200, "taken_at": "soon"}, "taken_at"),
    ],
)
def test_validation(patient_api, body, field):
    response = patient_api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert MedicationDose.objects.count() == 0


def test_list_with_totals(patient_api):
    log(patient_api, dose_mg=500, taken_at=NOW - timedelta(hours=1))
    log(patient_api, "caffeine", 100, taken_at=NOW - timedelta(hours=2))
    body = patient_api.get(URL).json()
    assert body["count"] == 2
    assert body["totals_24h_mg"] == {"acetaminophen": 500, "caffeine": 100}


def test_clinicians_cannot_log_doses(clinician_api):
    assert log(clinician_api).status_code == 403


def test_highest_window_total():
    t = NOW
    doses = [(t - timedelta(hours=23), 500), (t, 500), (t + timedelta(hours=23), 500), (t + timedelta(hours=30), 9)]
    assert highest_24h_total(doses, t) == 1000
    assert highest_24h_total([], t) == 0
