"""The diary's clinical values: the threshold lines of the chart and what counts
as a spike. They are the alert rules' values, one store (``alerts.AlertRule``,
seeded from CLINICAL.md, editable in admin, with each patient's custom values),
read through the alerts app's selector that ``patients.plugins`` holds: the chart
draws what the rules fire on, never a copy."""

from __future__ import annotations

from decimal import Decimal

from patients.models import Patient
from patients.plugins import chart_thresholds_source

SCORE_RISE_POINTS = "score_rise_points"
SCORE_RISE_WINDOW_HOURS = "score_rise_window_hours"
LINES = ("temperature_c", "back_pain", "headache")


class MissingThresholdError(LookupError):
    """An alert rule the chart reads is missing (run the migrations)."""


def chart_values(patient: Patient | None) -> dict[str, float]:
    """The threshold line of each charted field and the spike definition: this
    patient's (their custom values where the care team set them), or the rules'
    defaults for ``None`` (a list of many patients)."""
    values = chart_thresholds_source()(patient)
    missing = [key for key in (*LINES, SCORE_RISE_POINTS, SCORE_RISE_WINDOW_HOURS) if key not in values]
    if missing:
        raise MissingThresholdError(f"Alert rule thresholds missing for the chart: {', '.join(missing)}")
    return {key: float(value) for key, value in values.items()}


def chart_thresholds(patient: Patient | None) -> dict[str, float]:
    """The threshold line of each charted field for this patient (``chart_values``)."""
    chart = chart_values(patient)
    return {name: chart[name] for name in LINES}


def temperature_limits(patient: Patient | None = None) -> list[Decimal]:
    """The fever thresholds (°C) a temperature is never shown across: the patient's own
    (the rules' value, custom or default) or, for a list of many patients, the default."""
    return [Decimal(str(chart_thresholds(patient)["temperature_c"]))]
