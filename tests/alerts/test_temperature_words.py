"""The fever message's {temperature} is never shown on the other side of the
patient's fever threshold (CLINICAL.md: display never rounds across a threshold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from alerts import engine
from alerts.rules import RuleBook, rule_rows

PROCEDURE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def fever_message(threshold: str | None, temperature: str) -> str:
    book = RuleBook(rule_rows(), {1: {"fever": Decimal(threshold)}} if threshold else {})
    reading = engine.Reading(
        recorded_at=PROCEDURE + timedelta(days=1), back_pain=1, headache=1, temperature_c=Decimal(temperature)
    )
    fired = engine.evaluate(reading, [], book.for_patient(1), engine.PatientFacts(procedure_at=PROCEDURE))
    return next(f for f in fired if f.code == "fever").patient_message(reading)


@pytest.mark.parametrize(
    ("threshold", "temperature", "shown"),
    [
        (None, "38.00", "38.0 °C / 100.4 °F"),  # at the default threshold
        (None, "38.04", "38.0 °C / 100.5 °F"),
        (None, "38.05", "38.1 °C / 100.5 °F"),
        ("37.74", "37.74", "37.74 °C / 99.932 °F"),  # a custom threshold off the 0.1 grid: not "37.7 °C"
        ("37.74", "37.76", "37.8 °C / 100.0 °F"),
    ],
)
def test_the_fever_message_shows_a_fever_as_a_fever(db, threshold, temperature, shown):
    assert shown in fever_message(threshold, temperature)
