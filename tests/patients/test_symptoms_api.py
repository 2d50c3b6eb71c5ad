"""POST/GET /api/v1/symptoms/ as API.md "Symptoms" writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from patients.models import SymptomEntry
from tests.factories import SymptomEntryFactory, diary_answers

URL = "/api/v1/symptoms/"


def test_patient_records_an_entry(patient, patient_api):
    response = patient_api.post(
        URL,
        diary_answers(back_pain=3, headache=6, temperature_c=38.4, positional_headache=True, notes="tired"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["back_pain"] == 3 and body["headache"] == 6
    assert body["temperature_c"] == 38.4
    assert body["temperature_f"] == 101.1
    assert body["positional_headache"] is True
    assert body["numbness"] is False and body["seizure"] is False  # as answered
    assert isinstance(body["recommendations"], list)
    assert isinstance(body["alerts"], list)
    entry = SymptomEntry.objects.get(pk=body["id"])
    assert entry.patient == patient
    assert entry.entered_by == patient.user
    assert entry.temperature_c == Decimal("38.40")


def test_fahrenheit_is_stored_in_celsius_and_100_4_is_exactly_38(patient_api):
    body = patient_api.post(URL, diary_answers(back_pain=1, headache=1, temperature_f=100.4), format="json").json()
    assert SymptomEntry.objects.get(pk=body["id"]).temperature_c == Decimal("38.00")
    assert body["temperature_c"] == 38.0
    assert body["temperature_f"] == 100.4


def test_temperature_is_optional(patient_api):
    body = patient_api.post(URL, diary_answers(back_pain=0, headache=0), format="json").json()
    assert body["temperature_c"] is None and body["temperature_f"] is None


def test_recorded_at_defaults_to_now(patient_api):
    with time_machine.travel(datetime(2026, 11, 24, 9, 30, tzinfo=UTC), tick=False):
        body = patient_api.post(URL, diary_answers(back_pain=0, headache=0), format="json").json()
    assert body["recorded_at"] == "2026-11-24T09:30:00Z"


def test_recommendations_come_back_highest_severity_first(patient_api, fixed_evaluation):
    calls = fixed_evaluation(
        [
            {"rule": "positional_headache", "severity": "info", "message": "Lying flat helps."},
            {"rule": "neuro_deficit", "severity": "urgent", "message": "Seek urgent care now."},
            {"rule": "fever", "severity": "contact_provider", "message": "Contact your care team today."},
        ],
        [41, 42],
    )
    body = patient_api.post(URL, diary_answers(back_pain=2, headache=3), format="json").json()
    assert [r["severity"] for r in body["recommendations"]] == ["urgent", "contact_provider", "info"]
    assert body["alerts"] == [41, 42]
    assert len(calls) == 1 and calls[0].pk == body["id"]


def test_the_entry_is_evaluated_inside_the_same_transaction(patient_api, monkeypatch):
    """If the rules fail, the entry is not saved either: nothing half-saved."""
    from alerts import services as alert_services

    seen = {}

    def evaluate(entry):
        seen["in_atomic"] = connection.in_atomic_block
        seen["exists"] = SymptomEntry.objects.filter(pk=entry.pk).exists()
        raise RuntimeError("engine failure")

    monkeypatch.setattr(alert_services, "evaluate_entry", evaluate)
    with pytest.raises(RuntimeError):
        patient_api.post(URL, diary_answers(back_pain=2, headache=3), format="json")
    assert seen == {"in_atomic": True, "exists": True}
    assert SymptomEntry.objects.count() == 0


def test_empty_evaluation_gives_empty_lists(patient_api, fixed_evaluation):
    fixed_evaluation()
    body = patient_api.post(URL, diary_answers(back_pain=2, headache=3), format="json").json()
    assert body["recommendations"] == [] and body["alerts"] == []


def test_clinician_cannot_post_entries(clinician_api):
    assert clinician_api.post(URL, diary_answers(back_pain=2, headache=3), format="json").status_code == 403


def test_list_is_newest_first_and_paginated(patient, patient_api):
    now = datetime.now(UTC)
    for hours in (5, 1, 3):
        SymptomEntryFactory(patient=patient, recorded_at=now - timedelta(hours=hours))
    body = patient_api.get(URL).json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 3
    times = [row["recorded_at"] for row in body["results"]]
    assert times == sorted(times, reverse=True)


def test_list_filters_since_and_until(patient, patient_api):
    base = datetime(2026, 11, 20, 12, tzinfo=UTC)
    for day in range(5):
        SymptomEntryFactory(patient=patient, recorded_at=base + timedelta(days=day))
    body = patient_api.get(URL, {"since": "2026-11-21T00:00:00Z", "until": "2026-11-23T00:00:00Z"}).json()
    assert [row["recorded_at"][:10] for row in body["results"]] == ["2026-11-22", "2026-11-21"]


@pytest.mark.parametrize("param", ["since", "until"])
def test_list_rejects_a_bad_date(patient_api, param):
    response = patient_api.get(URL, {param: "yesterday"})
    assert response.status_code == 400
    assert param in response.json()


def test_clinician_lists_a_care_team_patient_and_it_is_audited(patient, clinician, clinician_api):
    from portal.audit.models import AuditEvent

    SymptomEntryFactory(patient=patient)
    response = clinician_api.get(URL, {"patient": patient.pk})
    assert response.status_code == 200 and response.json()["count"] == 1
    event = AuditEvent.objects.get(actor=clinician, action="symptoms.read")
    assert event.patient_id == patient.pk


def test_clinician_must_name_a_patient(clinician_api):
    response = clinician_api.get(URL)
    assert response.status_code == 400
    assert "patient" in response.json()


def test_patient_reads_of_their_own_diary_are_not_audited(patient, patient_api):
    from portal.audit.models import AuditEvent

    patient_api.get(URL)
    assert not AuditEvent.objects.filter(action="symptoms.read").exists()


def test_entered_in_error_keeps_the_row_and_flags_it(patient, patient_api):
    entry = SymptomEntryFactory(patient=patient)
    response = patient_api.post(f"{URL}{entry.pk}/entered-in-error/", {"reason": "wrong day"}, format="json")
    assert response.status_code == 200
    assert response.json()["entered_in_error"] is True
    entry.refresh_from_db()
    assert entry.entered_in_error_at is not None and entry.entered_in_error_reason == "wrong day"
    listed = patient_api.get(URL).json()["results"]
    assert listed[0]["entered_in_error"] is True


def test_malformed_json_is_400(patient_api):
    response = patient_api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_json_list_is_400(patient_api):
    response = patient_api.post(URL, [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_with_the_real_rule_engine_a_fever_comes_back_with_its_alert(patient_api, clinician, real_rule_engine):
    """The wiring end to end: the alerts app's engine runs on the saved entry."""
    body = patient_api.post(URL, diary_answers(back_pain=2, headache=3, temperature_f=100.9), format="json").json()
    assert "fever" in [r["rule"] for r in body["recommendations"]]
    assert body["recommendations"][0]["severity"] in ("urgent", "contact_provider")
    assert body["alerts"], "a contact_provider result raises an alert"
