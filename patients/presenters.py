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
from patients.selectors import day_since_procedure, latest_procedure
from patients.trend import DAY_CHOICES, symptom_trend
from patients.trend_svg import pain_charts, temperature_charts
from patients.units import in_units, unit_symbol
from portal.clinic.selectors import Clinic
from portal.clinic.texts import without_urgent_instruction

# The diary's yes/no questions: (field, question, one-line hint), in plain words.
QUESTIONS = [
    (
        "positional_headache",
        "Is your headache worse when you sit or stand, and better when you lie flat?",
        "It eases when you lie down and comes back when you get up.",
    ),
    (
        "radiating_leg_pain",
        "Does pain shoot down one or both legs?",
        "A burning or electric pain that goes below the knee.",
    ),
    (
        "numbness",
        "Are your legs, feet, bottom or groin numb or tingling?",
        "New loss of feeling or pins and needles.",
    ),
    ("leg_weakness", "Are your legs weak?", "For example, trouble standing up, walking or climbing stairs."),
    (
        "bladder_bowel_change",
        "Any new trouble passing or holding urine or stool?",
        "You cannot pee, or you leak urine or stool when you did not before.",
    ),
    (
        "site_redness",
        "Is the needle spot on your back red, warm or swollen?",
        "Look at or gently feel the small wound on your lower back.",
    ),
    (
        "site_drainage",
        "Is anything leaking from the needle spot?",
        "Pus, clear fluid or blood on the dressing or your clothes.",
    ),
    ("neck_stiffness", "Is your neck stiff?", "It hurts to bend your chin down to your chest."),
    (
        "confusion",
        "Are you very drowsy, hard to wake or confused?",
        "Someone with you may notice this before you do; they can answer for you.",
    ),
    (
        "seizure",
        "Have you had a fit or seizure since your last entry?",
        "Shaking or jerking you could not stop, or passing out. Someone with you may have seen it.",
    ),
    (
        "rash",
        "Do you have a new rash of spots or bruise-like marks that do not fade when you press a glass on them?",
        "Press the side of a clear glass firmly on the marks: answer yes if you can still see them through it.",
    ),
    ("vomiting", "Have you vomited more than once?", "Being sick again and again, not just feeling sick."),
    ("vision_change", "Has your eyesight changed?", "Blurred or double vision, or light hurts your eyes."),
    (
        "took_fever_reducer",
        "Have you taken acetaminophen (paracetamol) or ibuprofen in the last 6 hours?",
        "These lower a temperature, so a fever can read lower than it is.",
    ),
]
SHORT_LABELS = {
    "positional_headache": "headache worse upright",
    "radiating_leg_pain": "pain down the legs",
    "numbness": "numbness",
    "leg_weakness": "leg weakness",
    "bladder_bowel_change": "bladder or bowel change",
    "site_redness": "redness at the needle spot",
    "site_drainage": "leaking from the needle spot",
    "neck_stiffness": "stiff neck",
    "confusion": "drowsy or confused",
    "vomiting": "vomiting",
    "vision_change": "eyesight change",
    "took_fever_reducer": "took a fever reducer",
    "seizure": "seizure",
    "rash": "rash that does not fade",
}
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
