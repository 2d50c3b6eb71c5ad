"""GET /api/v1/symptoms/trend/: series, spikes (score_rise), thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from patients.trend import find_spikes
from tests.factories import SymptomEntryFactory

URL = "/api/v1/symptoms/trend/"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def entry(patient, hours_ago, back_pain=2, headache=2, temperature_c=None, **extra):
    return SymptomEntryFactory(
        patient=patient,
        recorded_at=NOW - timedelta(hours=hours_ago),
        back_pain=back_pain,
        headache=headache,
        temperature_c=temperature_c,
        **extra,
    )


def test_series_and_thresholds(patient, patient_api):
    entry(patient, 30, back_pain=3, headache=4, temperature_c=Decimal("37.20"))
    entry(patient, 5, back_pain=2, headache=5)
    body = patient_api.get(URL).json()
    assert body["days"] == 14
    assert [v for _, v in body["series"]["back_pain"]] == [3, 2]
    assert [v for _, v in body["series"]["headache"]] == [4, 5]
    assert [v for _, v in body["series"]["temperature_c"]] == [37.2]
    assert body["series"]["back_pain"][0][0] == "2026-11-23T06:00:00Z"
    assert body["thresholds"]["temperature_c"] == 38.0
    assert body["thresholds"]["back_pain"] == 7.0


def test_days_limits_the_window(patient, patient_api):
    entry(patient, 24 * 10)
    entry(patient, 24 * 3)
    assert len(patient_api.get(URL, {"days": 7}).json()["series"]["back_pain"]) == 1
    assert len(patient_api.get(URL, {"days": 14}).json()["series"]["back_pain"]) == 2


@pytest.mark.parametrize("days", ["0", "91", "abc", "7.5"])
def test_bad_days_is_400(patient_api, days):
    response = patient_api.get(URL, {"days": days})
    assert response.status_code == 400 and "days" in response.json()


def test_spike_is_2_points_above_the_lowest_of_the_previous_24_hours(patient, patient_api):
    entry(patient, 20, headache=3)
    entry(patient, 10, headache=5)  # 5 - min(3) = 2: a spike
    entry(patient, 5, headache=6)  # 6 - min(3, 5) = 3: a spike
    entry(patient, 1, back_pain=3, headache=6)  # level with the entry before: no spike; back pain 3 - 2 = 1: none
    spikes = patient_api.get(URL).json()["spikes"]
    assert [(s["field"], s["from"], s["to"]) for s in spikes] == [
        ("headache", 3, 5),
        ("headache", 3, 6),
    ]
    assert spikes[0]["t"] == "2026-11-24T02:00:00Z"


def test_a_rise_of_one_point_is_no_spike_and_the_first_entry_compares_with_nothing(patient, patient_api):
    entry(patient, 10, back_pain=8)
    entry(patient, 5, back_pain=9)
    assert patient_api.get(URL).json()["spikes"] == []


def test_older_than_24_hours_is_not_compared(patient, patient_api):
    entry(patient, 30, back_pain=1)
    entry(patient, 2, back_pain=5)
    assert patient_api.get(URL).json()["spikes"] == []


def test_a_spike_on_the_first_charted_day_compares_with_the_day_before(patient, patient_api):
    entry(patient, 24 * 7 + 3, back_pain=1)  # before the 7-day window
    entry(patient, 24 * 7 - 3, back_pain=4)
    spikes = patient_api.get(URL, {"days": 7}).json()["spikes"]
    assert [(s["field"], s["from"], s["to"]) for s in spikes] == [("back_pain", 1, 4)]


def test_entered_in_error_entries_are_left_out(patient, patient_api):
    entry(patient, 10, headache=1)
    entry(patient, 5, headache=9, entered_in_error_at=NOW)
    body = patient_api.get(URL).json()
    assert [v for _, v in body["series"]["headache"]] == [1]
    assert body["spikes"] == []


def test_a_falling_score_is_no_spike(patient, patient_api):
    """As ``score_rise`` (CLINICAL.md section 2): 3 above the lowest, but down from 8."""
    entry(patient, 10, headache=2)
    entry(patient, 6, headache=8)
    entry(patient, 2, headache=5)
    assert [(s["from"], s["to"]) for s in patient_api.get(URL).json()["spikes"]] == [(2, 8)]


def test_the_spikes_are_the_score_rise_rule(patient, patient_api, clinician):
    """The chart reads the alert rule's values (and the patient's own), not a copy."""
    from alerts.models import AlertRule, PatientThreshold

    rule = AlertRule.objects.get(code="score_rise")
    AlertRule.objects.filter(pk=rule.pk).update(thresholds={**rule.thresholds, "rise": 3})
    entry(patient, 10, headache=3)
    entry(patient, 5, headache=5)
    assert patient_api.get(URL).json()["spikes"] == []
    PatientThreshold.objects.create(patient=patient, rule=rule, value=2, set_by=clinician)
    assert len(patient_api.get(URL).json()["spikes"]) == 1


def test_the_fever_line_is_the_fever_rules_value(patient_api):
    """The chart draws what the engine alerts on: the fever rule's temperature."""
    from alerts.models import AlertRule

    rule = AlertRule.objects.get(code="fever")
    AlertRule.objects.filter(pk=rule.pk).update(thresholds={**rule.thresholds, "temperature_c": 37.8})
    thresholds = patient_api.get(URL).json()["thresholds"]
    assert thresholds["temperature_c"] == 37.8
    assert thresholds["headache"] == thresholds["back_pain"] == 7.0  # the severe-pain rule's score


def test_a_patients_own_values_move_their_lines(patient, patient_api, clinician):
    from alerts.models import AlertRule, PatientThreshold

    PatientThreshold.objects.create(
        patient=patient, rule=AlertRule.objects.get(code="fever"), value=Decimal("38.5"), set_by=clinician
    )
    PatientThreshold.objects.create(
        patient=patient, rule=AlertRule.objects.get(code="severe_pain"), value=Decimal("8"), set_by=clinician
    )
    thresholds = patient_api.get(URL).json()["thresholds"]
    assert (thresholds["temperature_c"], thresholds["headache"], thresholds["back_pain"]) == (38.5, 8.0, 8.0)


def test_find_spikes_boundary_of_the_window():
    t0 = NOW
    points = [(t0, 1), (t0 + timedelta(hours=24), 3)]
    assert len(find_spikes(points, field_name="headache", rise=Decimal(2), window=timedelta(hours=24))) == 1


def test_clinician_trend_is_audited(patient, clinician, clinician_api):
    from portal.audit.models import AuditEvent

    assert clinician_api.get(URL, {"patient": patient.pk}).status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="symptoms.trend.read").count() == 1
