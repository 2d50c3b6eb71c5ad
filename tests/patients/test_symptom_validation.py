"""Every validation rule of API.md "Symptoms": a 400 that names the field, in
words a patient understands, and nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from patients.models import Procedure, SymptomEntry
from tests.factories import diary_answers

URL = "/api/v1/symptoms/"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
VALID = {"back_pain": 3, "headache": 4, **diary_answers()}


@pytest.fixture
def at_now():
    """The clock stands at NOW. Ask for it before patient_api: the patient's
    procedure is dated from the clock when the patient is made."""
    with time_machine.travel(NOW, tick=False):
        yield


def post(api, **changes):
    body = {**VALID, **changes}
    for key in [k for k, v in changes.items() if v is ...]:
        body.pop(key)
    return api.post(URL, body, format="json")


@pytest.mark.parametrize("field", ["back_pain", "headache"])
@pytest.mark.parametrize("value", [..., None, "", -1, 11, 3.5, "three", True, [3]])
def test_scores_are_required_integers_0_to_10(patient_api, field, value):
    response = post(patient_api, **{field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "0" in response.json()[field][0] and "10" in response.json()[field][0]
    assert SymptomEntry.objects.count() == 0


@pytest.mark.parametrize("field", ["back_pain", "headache"])
@pytest.mark.parametrize("value", [0, 10, "7"])
def test_scores_accept_the_bounds(patient_api, field, value):
    assert post(patient_api, **{field: value}).status_code == 201


def test_not_both_temperature_units(patient_api):
    response = post(patient_api, temperature_c=38.0, temperature_f=100.4)
    assert response.status_code == 400
    assert "temperature_c" in response.json() and "temperature_f" in response.json()
    assert "not both" in response.json()["temperature_c"][0]


@pytest.mark.parametrize("value", [33.9, 43.1, 0, 100, "hot", True])
def test_celsius_range_34_to_43(patient_api, value):
    response = post(patient_api, temperature_c=value)
    assert response.status_code == 400
    assert list(response.json()) == ["temperature_c"]
    assert "34.0" in response.json()["temperature_c"][0]


@pytest.mark.parametrize("value", [34.0, 43.0, "37.2"])
def test_celsius_bounds_are_accepted(patient_api, value):
    assert post(patient_api, temperature_c=value).status_code == 201


@pytest.mark.parametrize("value", [93.1, 109.5, 38.0])
def test_fahrenheit_range_is_the_same_range(patient_api, value):
    response = post(patient_api, temperature_f=value)
    assert response.status_code == 400
    assert list(response.json()) == ["temperature_f"]
    assert "93.2" in response.json()["temperature_f"][0] and "°F" in response.json()["temperature_f"][0]


@pytest.mark.parametrize("value", [93.2, 109.4])
def test_fahrenheit_bounds_are_accepted(patient_api, value):
    assert post(patient_api, temperature_f=value).status_code == 201


def test_nan_and_infinity_are_rejected(patient_api):
    for value in ("NaN", "Infinity"):
        response = post(patient_api, temperature_c=value)
        assert response.status_code == 400 and "temperature_c" in response.json()


def test_recorded_at_not_in_the_future(at_now, patient_api):
    response = post(patient_api, recorded_at=(NOW + timedelta(hours=1)).isoformat())
    assert response.status_code == 400
    assert list(response.json()) == ["recorded_at"]
    assert "future" in response.json()["recorded_at"][0]


def test_recorded_at_allows_a_small_clock_skew(at_now, patient_api):
    assert post(patient_api, recorded_at=(NOW + timedelta(seconds=60)).isoformat()).status_code == 201


def test_recorded_at_not_before_the_procedure_minus_one_day(patient, patient_api, at_now):
    Procedure.objects.filter(patient=patient).update(performed_at=NOW - timedelta(days=1))
    too_early = NOW - timedelta(days=2, minutes=1)
    response = post(patient_api, recorded_at=too_early.isoformat())
    assert response.status_code == 400
    assert list(response.json()) == ["recorded_at"]
    assert "before your procedure" in response.json()["recorded_at"][0]
    # Exactly one day before the procedure is still allowed.
    assert post(patient_api, recorded_at=(NOW - timedelta(days=2)).isoformat()).status_code == 201


@pytest.mark.parametrize("value", ["not a date", "2026-13-45T00:00:00Z", 12345])
def test_recorded_at_must_be_a_date_time(patient_api, value):
    response = post(patient_api, recorded_at=value)
    assert response.status_code == 400
    assert list(response.json()) == ["recorded_at"]


def test_notes_at_most_2000_characters(patient_api):
    response = post(patient_api, notes="x" * 2001)
    assert response.status_code == 400
    assert list(response.json()) == ["notes"]
    assert "2000" in response.json()["notes"][0]
    assert post(patient_api, notes="x" * 2000).status_code == 201


def test_notes_must_be_text(patient_api):
    response = post(patient_api, notes=["a"])
    assert response.status_code == 400 and list(response.json()) == ["notes"]


@pytest.mark.parametrize("field", SymptomEntry.YES_NO_FIELDS)
def test_yes_no_fields_must_be_yes_or_no(patient_api, field):
    response = post(patient_api, **{field: "maybe"})
    assert response.status_code == 400
    assert response.json() == {field: ["Answer yes or no."]}


@pytest.mark.parametrize("field", SymptomEntry.YES_NO_FIELDS)
def test_yes_no_fields_accept_booleans(patient_api, field):
    response = post(patient_api, **{field: True})
    assert response.status_code == 201 and response.json()[field] is True


@pytest.mark.parametrize("left_out", [..., None, ""], ids=["missing", "null", "empty"])
@pytest.mark.parametrize("field", SymptomEntry.YES_NO_FIELDS)
def test_every_yes_no_question_must_be_answered(patient_api, field, left_out):
    """CLINICAL.md section 1: an unanswered red-flag question is never a "no"."""
    response = post(patient_api, **{field: left_out})
    assert response.status_code == 400
    assert response.json() == {field: ["Answer yes or no: this question cannot be left out."]}
    assert SymptomEntry.objects.count() == 0


def test_an_entry_without_answers_names_every_question(patient_api):
    response = patient_api.post(URL, {"back_pain": 1, "headache": 1}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(SymptomEntry.YES_NO_FIELDS)
    assert {"seizure", "rash"} <= set(response.json())
    assert SymptomEntry.objects.count() == 0


def test_every_problem_is_reported_at_once(patient_api):
    response = patient_api.post(URL, {"back_pain": 12, "temperature_c": 50, "notes": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"back_pain", "headache", "temperature_c", "notes", *SymptomEntry.YES_NO_FIELDS}
