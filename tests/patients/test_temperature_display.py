"""A temperature is never shown on the other side of the fever threshold from the
value the rules read (CLINICAL.md: "a value shown as 38.0 °C or 100.4 °F fires the
fever rule"). Stored in °C with two decimals; shown to one decimal in °C and °F,
rounded down instead of up onto the threshold (37.95 °C is "37.9 °C", not "38.0")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import AlertRule, PatientThreshold
from patients.models import SymptomEntry
from patients.questions import YES_NO_FIELDS

YES_NO = dict.fromkeys(YES_NO_FIELDS, False)


def post(api, **temperature):
    body = {"back_pain": 2, "headache": 2, **YES_NO, **temperature}
    return api.post("/api/v1/symptoms/", body, format="json")


@pytest.mark.parametrize(
    ("sent", "stored_c", "shown_c", "shown_f"),
    [
        # the fever threshold, 38.0 °C = 100.4 °F: at, just below, just above; °C and °F
        ({"temperature_c": "37.94"}, "37.94", 37.9, 100.3),
        ({"temperature_c": "37.95"}, "37.95", 37.9, 100.3),  # not "38.0 °C": no fever fired
        ({"temperature_c": "37.99"}, "37.99", 37.9, 100.3),  # 100.382 °F is not "100.4 °F" either
        ({"temperature_c": "38.0"}, "38.00", 38.0, 100.4),
        ({"temperature_c": "38.04"}, "38.04", 38.0, 100.5),
        ({"temperature_c": "38.05"}, "38.05", 38.1, 100.5),
        ({"temperature_f": "100.3"}, "37.94", 37.9, 100.3),
        ({"temperature_f": "100.35"}, "37.97", 37.9, 100.3),
        ({"temperature_f": "100.4"}, "38.00", 38.0, 100.4),
        ({"temperature_f": "100.5"}, "38.06", 38.1, 100.5),
        ({"temperature_c": "36.66"}, "36.66", 36.7, 98.0),  # far from any threshold: the usual rounding
    ],
)
def test_the_api_never_shows_a_temperature_across_the_fever_threshold(patient_api, sent, stored_c, shown_c, shown_f):
    response = post(patient_api, **sent)
    assert response.status_code == 201, response.content
    body = response.json()
    assert SymptomEntry.objects.get().temperature_c == Decimal(stored_c)
    assert (body["temperature_c"], body["temperature_f"]) == (shown_c, shown_f)
    listed = patient_api.get("/api/v1/symptoms/").json()["results"][0]
    assert (listed["temperature_c"], listed["temperature_f"]) == (shown_c, shown_f)


def test_a_patients_own_fever_threshold_is_respected(patient, patient_api, clinician):
    rule = AlertRule.objects.get(code="fever")
    PatientThreshold.objects.create(patient=patient, rule=rule, value=Decimal("37.50"), set_by=clinician)
    body = post(patient_api, temperature_c="37.45").json()
    assert body["temperature_c"] == 37.4  # not this patient's fever threshold, "37.5"


def test_the_diary_pages_show_37_95_as_37_9(patient, client_for):
    SymptomEntry.objects.create(
        patient=patient,
        recorded_at=timezone.now() - timedelta(hours=1),
        back_pain=2,
        headache=2,
        temperature_c=Decimal("37.95"),
        **YES_NO,
    )
    html = client_for(patient.user).get("/history/").content.decode()
    assert "<strong>37.9 °C</strong>" in html and "<td>37.9 °C</td>" in html  # the entry and the trend table
    assert "latest 37.9 °C, highest 37.9 °C. 0 at or above the fever line of 38.0 °C" in html  # the chart's words
