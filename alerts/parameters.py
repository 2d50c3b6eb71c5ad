"""What each rule's thresholds are: its parameters (name, unit, bounds) and the words
that describe the rule, filled from the values in force. Pure: no database.

The values themselves are data (``AlertRule.thresholds``, seeded from CLINICAL.md,
edited in admin); this module is their schema, as the engine's code reads them: a
parameter the engine does not read would change nothing, and one it reads must be
there. The bounds are plausibility limits (a fever threshold of 45 °C or of "abc" is
a typo), not clinical thresholds: CLINICAL.md's values sit well inside them.

An admin's edit is checked against this schema before it is saved (``alerts.admin``),
and so is every row the engine reads (``alerts.rules``): a row that fails, written
past the form, is never used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

# Words of a rule that name a value, filled when shown: ``{temperature}`` (the entry's
# reading, alerts.engine), the rule's parameters, the clinic's numbers
# (portal.clinic.texts) and, for the medication rules, the dose's numbers.
READING_PLACEHOLDERS = ("temperature",)
MEDICATION_PLACEHOLDERS = ("drug", "other_drug", "total_mg", "cap_mg", "never_above_mg")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    unit: str  # "°C", "day", "hours", "points"
    minimum: Decimal
    maximum: Decimal
    places: int = 0  # decimal places allowed (0: a whole number)

    @property
    def is_temperature(self) -> bool:
        return self.unit == "°C"

    def check(self, raw: Any) -> tuple[Decimal | None, str]:
        """(the value, "") or (None, why it is refused)."""
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            return None, "must be a number"
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, "must be a number"
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            return None, "must be a number"
        if not value.is_finite():
            return None, "must be a number"
        if value != value.quantize(Decimal(1).scaleb(-self.places)):
            return None, "must be a whole number" if self.places == 0 else f"at most {self.places} decimal places"
        if not self.minimum <= value <= self.maximum:
            return None, f"must be {self.bounds_text}"
        return value, ""

    @property
    def field_label(self) -> str:
        """ "Fever from (°C)"; a day number needs no unit ("Until day")."""
        return self.label if self.unit == "day" else f"{self.label} ({self.unit})"

    @property
    def bounds_text(self) -> str:
        shown = exact if self.is_temperature else plain
        unit = "" if self.unit == "day" else f" {self.unit}"
        return f"between {shown(self.minimum)} and {shown(self.maximum)}{unit}"

    def words(self, value: Decimal) -> str:
        """The value as a rule's description or message shows it."""
        if self.is_temperature:
            # Exact in both units (37.95 °C is 100.31 °F): a threshold is never rounded.
            return f"{exact(value)} °C ({exact(value * 9 / 5 + 32)} °F)"
        return plain(value)


def plain(value: Decimal) -> str:
    """38.50 -> "38.5", 40.00 -> "40" (never "4E+1")."""
    return format(Decimal(value).normalize(), "f")


def exact(value: Decimal) -> str:
    """A temperature with one decimal at least and every decimal it has: "38.0", "37.95"."""
    text = plain(value)
    return text if "." in text else f"{text}.0"


@dataclass(frozen=True)
class RuleSchema:
    parameters: tuple[Parameter, ...] = ()
    describes: str = ""  # when the rule fires, with {parameter} placeholders
    variant: str = ""  # its second form, when it has one
    # (smaller, larger): the first parameter may not exceed the second.
    ordered_pairs: tuple[tuple[str, str], ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def _score(name: str, label: str) -> Parameter:
    return Parameter(name, label, "points", Decimal(1), Decimal(10))


def _day(name: str, label: str, maximum: int = 60) -> Parameter:
    return Parameter(name, label, "day", Decimal(0), Decimal(maximum))


def _hours(name: str, label: str, minimum: int = 1, maximum: int = 336) -> Parameter:
    return Parameter(name, label, "hours", Decimal(minimum), Decimal(maximum))


def _temperature(name: str, label: str, minimum: str, maximum: str) -> Parameter:
    return Parameter(name, label, "°C", Decimal(minimum), Decimal(maximum), places=2)


REARM = _hours("rearm_after_hours", "Raised again from this long after its alert is resolved", 0, 168)

SCHEMAS: dict[str, RuleSchema] = {
    # --- CLINICAL.md section 2 -------------------------------------------------------------
    "fever": RuleSchema(
        (
            _temperature("temperature_c", "Fever from", "37.0", "40.0"),
            _day("first_day", "From day"),
            _day("last_day", "Until day"),
        ),
        "Temperature at or above {temperature_c} on day {first_day} to {last_day} after the procedure.",
        ordered_pairs=(("first_day", "last_day"),),
    ),
    "fever_red_flag": RuleSchema(
        (_score("pain_score", "Headache or back pain from"),),
        "Fever and any of: neck stiffness, confusion, repeated vomiting, a rash that does not fade, "
        "headache >= {pain_score} without a positional pattern, back pain >= {pain_score}, redness or drainage "
        "at the puncture site.",
    ),
    "seizure": RuleSchema((), "A fit or seizure since the last entry."),
    "rash": RuleSchema((), "New spots or bruise-like marks that do not fade under a glass (with or without fever)."),
    "neck_stiffness": RuleSchema((), "A stiff neck without fever."),
    "neuro_deficit": RuleSchema((), "Numbness, leg weakness or a new change in bladder or bowel control."),
    "confusion": RuleSchema((), "Drowsy, hard to wake or confused."),
    "atypical_headache": RuleSchema(
        (_score("headache", "Headache from"), _day("after_day", "Without a positional pattern after day")),
        "Headache >= {headache} with vision change or confusion, or headache >= {headache} without a positional "
        "pattern after day {after_day}.",
        "Urgent when the headache comes with vision change or confusion.",
    ),
    "anticoagulated_back_pain": RuleSchema(
        (_score("back_pain", "Back pain from"),),
        "A patient with any blood-thinner flag (anticoagulant or antiplatelet, warfarin) and back pain >= {back_pain}.",
    ),
    "site_infection": RuleSchema((), "Redness, warmth, swelling or drainage at the puncture site (without fever)."),
    "radiating_leg_pain": RuleSchema(
        (), "Pain spreading down a leg (without numbness, weakness or a bladder or bowel change)."
    ),
    "severe_positional_headache": RuleSchema(
        (_score("headache", "Headache from"),), "Positional headache with headache >= {headache}."
    ),
    "positional_headache": RuleSchema(
        (), "Positional headache below the severe positional headache threshold (self-care)."
    ),
    "severe_pain": RuleSchema(
        (_score("pain_score", "Back pain or headache from"), _day("after_day", "After day")),
        "Back pain or headache >= {pain_score} after day {after_day}.",
    ),
    "score_rise": RuleSchema(
        (_score("rise", "Rise of at least"), _hours("window_hours", "Compared with the previous", 1, 168)),
        "Back pain or headache at least {rise} points above the lowest value of the same score in the previous "
        "{window_hours} h, and higher than the entry just before it.",
    ),
    "vomiting": RuleSchema((), "Repeated vomiting (without fever)."),
    "fever_masked": RuleSchema(
        (_temperature("temperature_c", "Temperature from", "36.0", "39.0"),),
        "Took a fever reducer in the last 6 hours and a temperature at or above {temperature_c}.",
    ),
    # --- CLINICAL.md section 3 -------------------------------------------------------------
    "rising_fever": RuleSchema(
        (
            _hours("window_hours", "Three readings within", 1, 168),
            _temperature("last_temperature_c", "The last reading from", "36.5", "40.0"),
        ),
        "Three consecutive temperature readings, each higher than the last, within {window_hours} h, the last "
        "at or above {last_temperature_c}.",
    ),
    "new_weakness": RuleSchema((), "Leg weakness or numbness reported after an earlier entry without it."),
    "not_improving_72h": RuleSchema(
        (
            _hours("after_hours", "From this long after the procedure", 24, 336),
            _score("pain_score", "Headache or back pain from"),
            _hours("baseline_hours", "Compared with the highest value of the first hours of logging", 12, 168),
            REARM,
        ),
        "At {after_hours} h or more after the procedure, headache or back pain >= {pain_score} and not lower "
        "than the highest value of the first {baseline_hours} h of logging after the procedure. Once its alert "
        "is resolved, raised again by the first entry that meets it {rearm_after_hours} h or more later.",
        "A persisting positional headache: consider anesthesiology review.",
    ),
    "late_back_pain": RuleSchema(
        (_score("back_pain", "Back pain from"), _day("after_day", "After day", 90), REARM),
        "Back pain >= {back_pain} on an entry after day {after_day}. Once its alert is resolved, raised again "
        "by the first entry that meets it {rearm_after_hours} h or more later.",
        "Urgent with fever.",
    ),
    "missed_checkin": RuleSchema(
        (_hours("gap_hours", "No entry for", 6, 72), _day("last_day", "Until day", 14)),
        "No entry for {gap_hours} h during day 0 to {last_day}: a reminder to the patient (no clinician item).",
    ),
    # --- CLINICAL.md section 5 (the numbers are each drug's: patients.Drug) ------------------
    "medication_over_cap": RuleSchema(
        (), "Doses of one drug in 24 h add up to its daily cap (the drug's label cap) or more."
    ),
    "medication_above_maximum": RuleSchema(
        (), "Doses of one drug in 24 h add up to more than its absolute maximum (the drug's never-above limit)."
    ),
    "medication_nsaid_combination": RuleSchema(
        (), "Two different NSAIDs (for example ibuprofen and naproxen) logged within 24 h of each other."
    ),
}


def schema_of(code: str) -> RuleSchema:
    """A code without a schema has no parameters (and no thresholds may be stored)."""
    return SCHEMAS.get(code, RuleSchema())


class InvalidThresholds(ValueError):
    """``problems``: parameter name (or ``__all__``) -> why; the names of parameters only,
    never a value (the message goes to logs)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name} {why}" for name, why in sorted(self.problems.items())))


def check_thresholds(code: str, raw: Any) -> dict[str, Decimal]:
    """The thresholds of rule ``code`` as Decimals, or InvalidThresholds naming each
    problem: a missing or unknown parameter, not a number, not whole, out of bounds,
    or a pair out of order (``first_day`` after ``last_day``)."""
    schema = schema_of(code)
    if not isinstance(raw, Mapping):
        raise InvalidThresholds({"__all__": "must be an object of named values"})
    problems: dict[str, str] = {}
    values: dict[str, Decimal] = {}
    for parameter in schema.parameters:
        if parameter.name not in raw:
            problems[parameter.name] = "is missing"
            continue
        value, why = parameter.check(raw[parameter.name])
        if value is None:
            problems[parameter.name] = why
        else:
            values[parameter.name] = value
    for name in raw:
        if name not in schema.names:
            problems[str(name)[:40]] = "is not a parameter of this rule"
    for smaller, larger in schema.ordered_pairs:
        if smaller in values and larger in values and values[smaller] > values[larger]:
            problems[smaller] = f"may not be after {larger}"
    if problems:
        raise InvalidThresholds(problems)
    return values


def fill(text: str, values: Mapping[str, Decimal], code: str) -> str:
    """``text`` with each ``{parameter}`` of rule ``code`` replaced by its value in words;
    any other placeholder stays for whoever fills it."""
    schema = schema_of(code)

    def replace(match: re.Match) -> str:
        parameter = schema.parameter(match.group(1))
        if parameter is None or parameter.name not in values:
            return match.group(0)
        return parameter.words(Decimal(values[parameter.name]))

    return PLACEHOLDER.sub(replace, text)


def describe(code: str, values: Mapping[str, Decimal]) -> str:
    """When the rule fires, in words, from the values in force (never a stored copy)."""
    schema = schema_of(code)
    text = fill(schema.describes, values, code)
    return f"{text} {schema.variant}" if schema.variant else text


def unknown_placeholders(text: str, code: str, *, kind: str, clinic: Iterable[str]) -> list[str]:
    """The ``{names}`` in a rule's words that nothing would fill (a typo the patient would read)."""
    known = {*schema_of(code).names, *READING_PLACEHOLDERS, *clinic}
    if kind == "medication":
        known |= set(MEDICATION_PLACEHOLDERS)
    found = [name for name in PLACEHOLDER.findall(text) if name not in known]
    stray = text.count("{") != len(PLACEHOLDER.findall(text)) or text.count("}") != len(PLACEHOLDER.findall(text))
    return [*found, *(["a lone { or }"] if stray else [])]
