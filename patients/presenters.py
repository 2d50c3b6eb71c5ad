"""What the pages show: entries, trends and results in the reader's time zone
and temperature unit, in plain words. No queries beyond the ones named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from patients.clinical import temperature_limits
from patients.models import Patient, SymptomEntry
from patients.questions import SHORT_LABELS
from patients.selectors import day_since_procedure, latest_procedure
from patients.trend import DAY_CHOICES, symptom_trend
from patients.trend_svg import pain_charts, temperature_charts
from patients.units import in_units, unit_symbol
from portal.clinic.selectors import Clinic
from portal.clinic.texts import without_urgent_instruction

SEVERITY_WORDS = {
    "urgent": ("Urgent", "get help now"),
    "contact_provider": ("Contact your care team today", ""),
    "info": ("For your information", ""),
}
SEVERITY_ICONS = {"urgent": "!!", "contact_provider": "!", "info": "i"}


def tz_of(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local(moment: datetime | None, user) -> datetime | None:
    return moment.astimezone(tz_of(user)) if moment is not None else None


def temperature_text(value_c, user, limits_c: Sequence[Decimal]) -> str:
    """A stored °C value in the reader's unit, never shown across a fever threshold in
    ``limits_c`` (``patients.clinical.temperature_limits``)."""
    if value_c is None:
        return "not measured"
    units = getattr(user, "display_units", "C")
    return f"{format_temperature(in_units(value_c, units, limits_c))} {unit_symbol(units)}"


def format_temperature(value: float | None) -> str:
    """One decimal ("38.0"), or the few more that keep it on its side of a threshold."""
    return "" if value is None else str(float(value))


@dataclass
class EntryRow:
    entry: SymptomEntry
    at: datetime
    temperature: str
    yes: list[str]
    in_error: bool


def entry_rows(entries, user) -> list[EntryRow]:
    limits: dict[int, list[Decimal]] = {}  # one patient's entries read their thresholds once

    def limits_of(entry) -> list[Decimal]:
        if entry.temperature_c is None:
            return []
        if entry.patient_id not in limits:
            limits[entry.patient_id] = temperature_limits(entry.patient)
        return limits[entry.patient_id]

    return [
        EntryRow(
            entry=entry,
            at=local(entry.recorded_at, user),
            temperature=temperature_text(entry.temperature_c, user, limits_of(entry)),
            yes=[SHORT_LABELS[name] for name in SymptomEntry.YES_NO_FIELDS if getattr(entry, name)],
            in_error=entry.entered_in_error_at is not None,
        )
        for entry in entries
    ]


def recommendation_cards(recommendations: list[dict], clinic: Clinic | None = None) -> list[dict]:
    """One card per recommendation, highest severity first. An urgent card's words
    start with the emergency instruction: the page shows it once, first, with its call
    buttons, then the rest of the words (``rest``)."""
    cards = []
    for rec in recommendations:
        severity = rec.get("severity", "info")
        heading, subheading = SEVERITY_WORDS.get(severity, SEVERITY_WORDS["info"])
        message = rec.get("message", "")
        cards.append(
            {
                "severity": severity,
                "heading": heading,
                "subheading": subheading,
                "icon": SEVERITY_ICONS.get(severity, "i"),
                "message": message,
                "rest": without_urgent_instruction(message, clinic) if severity == "urgent" else message,
                "rule": rec.get("rule", ""),
            }
        )
    return cards


def trend_context(patient: Patient, user, days: int, *, chart_id: str = "trend") -> dict:
    """The trend section: two SVG charts, the same numbers as a table, the day choices."""
    trend = symptom_trend(patient, days=days)
    tz = tz_of(user)
    units = getattr(user, "display_units", "C")
    spikes_at = {(s.t, s.field) for s in trend.spikes}
    fever = trend.thresholds.get("temperature_c")
    fever_limits = [Decimal(str(fever))] if fever is not None else []
    rows = {}
    for name in ("back_pain", "headache", "temperature_c"):
        for t, v in trend.series.get(name, []):
            rows.setdefault(t, {})[name] = v
    table = [
        {
            "at": t.astimezone(tz),
            "back_pain": values.get("back_pain"),
            "headache": values.get("headache"),
            "temperature": temperature_text(values.get("temperature_c"), user, fever_limits)
            if "temperature_c" in values
            else "",
            "rises": [SHORT_FIELD[f] for f in ("back_pain", "headache") if (t, f) in spikes_at],
        }
        for t, values in sorted(rows.items(), reverse=True)
    ]
    return {
        "trend": trend,
        "trend_days": days,
        "trend_day_choices": DAY_CHOICES,
        "pain_svg": pain_charts(trend, tz=tz, chart_id=f"{chart_id}-pain"),
        "temperature_svg": temperature_charts(trend, tz=tz, units=units, chart_id=f"{chart_id}-temperature"),
        "trend_table": table,
        "trend_chart_id": chart_id,
    }


SHORT_FIELD = {"back_pain": "back pain", "headache": "headache"}


def day_context(patient: Patient) -> dict:
    procedure = latest_procedure(patient)
    return {"procedure": procedure, "day": day_since_procedure(procedure)}
