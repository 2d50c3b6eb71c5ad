"""The diary's clinical values, read from data (``DiaryThreshold``, seeded from
CLINICAL.md, editable in admin), never written as literals in code."""

from __future__ import annotations

from decimal import Decimal

from patients.models import DiaryThreshold, Patient
from patients.plugins import chart_thresholds_source

# The codes the seed migration creates; a missing row is a configuration error.
FEVER_C = "fever_c"
SEVERE_PAIN = "severe_pain"
SCORE_RISE_POINTS = "score_rise_points"
SCORE_RISE_WINDOW_HOURS = "score_rise_window_hours"


class MissingThresholdError(LookupError):
    """A threshold row the diary needs is missing (run the migrations)."""


def diary_thresholds() -> dict[str, Decimal]:
    """All thresholds in one query."""
    values = dict(DiaryThreshold.objects.values_list("code", "value"))
    missing = {FEVER_C, SEVERE_PAIN, SCORE_RISE_POINTS, SCORE_RISE_WINDOW_HOURS} - values.keys()
    if missing:
        raise MissingThresholdError(f"Diary thresholds missing: {', '.join(sorted(missing))}")
    return values


def chart_values(patient: Patient, values: dict[str, Decimal] | None = None) -> dict[str, float]:
    """The threshold line of each charted field and the spike definition for this patient.

    Defaults come from ``DiaryThreshold``; the alert rules and the patient's custom
    thresholds (``alerts.selectors.chart_thresholds``, registered in ``patients.plugins``)
    win, so the chart draws what the rules use: the
    fever and severe-pain lines, and the spikes as the ``score_rise`` rule fires.
    """
    values = values or diary_thresholds()
    chart = {
        "temperature_c": float(values[FEVER_C]),
        "back_pain": float(values[SEVERE_PAIN]),
        "headache": float(values[SEVERE_PAIN]),
        SCORE_RISE_POINTS: float(values[SCORE_RISE_POINTS]),
        SCORE_RISE_WINDOW_HOURS: float(values[SCORE_RISE_WINDOW_HOURS]),
    }
    from_rules = chart_thresholds_source()(patient)
    chart.update({k: float(v) for k, v in from_rules.items() if k in chart})
    return chart


def chart_thresholds(patient: Patient, values: dict[str, Decimal] | None = None) -> dict[str, float]:
    """The threshold line of each charted field for this patient (``chart_values``)."""
    chart = chart_values(patient, values)
    return {name: chart[name] for name in ("temperature_c", "back_pain", "headache")}


def temperature_limits(patient: Patient | None = None, values: dict[str, Decimal] | None = None) -> list[Decimal]:
    """The fever thresholds (°C) a temperature is never shown across: the patient's own
    (the rules' value, custom or default) or, for a list of many patients, the default."""
    if patient is None:
        return [(values or diary_thresholds())[FEVER_C]]
    return [Decimal(str(chart_thresholds(patient, values)["temperature_c"]))]
