"""The rule engine: pure functions, no database, no clock.

Entry + recent history + thresholds + patient facts in, fired rules out. Every number
a rule compares with comes from ``Rule.thresholds`` (the ``AlertRule`` rows, merged with
the patient's custom values); the code holds only the shape of each rule of CLINICAL.md.

Conventions (CLINICAL.md): a threshold fires at the boundary (``>=``); "day N" counts
whole days from the latest procedure (day 0 is its first 24 hours); "after day N" means
day N+1 or later. "Fever" inside another rule means a temperature at or above the
patient's ``fever`` threshold on any day; the ``fever`` rule itself is limited to its
day window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from alerts.parameters import fill
from patients.questions import YES_NO_FIELDS as DIARY_YES_NO_FIELDS
from portal.numbers import rounded_within_limits

if TYPE_CHECKING:  # the engine stays free of Django at run time
    from patients.models import SymptomEntry

INFO = "info"
CONTACT_PROVIDER = "contact_provider"
URGENT = "urgent"
SEVERITY_RANK = {INFO: 0, CONTACT_PROVIDER: 1, URGENT: 2}

YES_NO_FIELDS = DIARY_YES_NO_FIELDS


@dataclass(frozen=True)
class Reading:
    """One diary entry as the engine sees it."""

    recorded_at: datetime
    back_pain: int
    headache: int
    temperature_c: Decimal | None = None
    positional_headache: bool = False
    radiating_leg_pain: bool = False
    numbness: bool = False
    leg_weakness: bool = False
    bladder_bowel_change: bool = False
    site_redness: bool = False
    site_drainage: bool = False
    neck_stiffness: bool = False
    confusion: bool = False
    vomiting: bool = False
    vision_change: bool = False
    took_fever_reducer: bool = False
    seizure: bool = False
    rash: bool = False
    entry_id: int | None = None

    @classmethod
    def from_entry(cls, entry: SymptomEntry) -> Reading:
        temperature = entry.temperature_c
        return cls(
            recorded_at=entry.recorded_at,
            back_pain=entry.back_pain,
            headache=entry.headache,
            temperature_c=Decimal(str(temperature)) if temperature is not None else None,
            entry_id=entry.pk,
            **{name: bool(getattr(entry, name)) for name in YES_NO_FIELDS},
        )

    @property
    def has_deficit(self) -> bool:
        """Numbness or leg weakness: what ``new_weakness`` watches."""
        return self.numbness or self.leg_weakness


@dataclass(frozen=True)
class PatientFacts:
    blood_thinner: bool = False  # any blood-thinner flag of the profile (Patient.BLOOD_THINNER_FLAGS)
    procedure_at: datetime | None = None  # the latest procedure

    def day(self, at: datetime) -> int | None:
        """Day N after the procedure (day 0 is its first 24 hours); None without one.
        An entry made shortly before the procedure counts as day 0."""
        if self.procedure_at is None:
            return None
        return max(0, (at - self.procedure_at) // timedelta(days=1))


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    thresholds: Mapping[str, Decimal] = field(default_factory=dict)
    kind: str = "instant"
    order: int = 0
    enabled: bool = True
    patient_message: str = ""
    clinician_message: str = ""
    variant_severity: str = ""
    variant_patient_message: str = ""
    variant_clinician_message: str = ""

    def __getitem__(self, key: str) -> Decimal:
        return self.thresholds[key]


@dataclass(frozen=True)
class Fired:
    rule: Rule
    variant: bool = False  # the rule's second form (for example urgent with fever)

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def severity(self) -> str:
        if self.variant and self.rule.variant_severity:
            return self.rule.variant_severity
        return self.rule.severity

    @property
    def temperature_limits(self) -> list[Decimal]:
        """The rule's temperature thresholds: {temperature} is never shown across them."""
        return [value for key, value in self.rule.thresholds.items() if "temperature" in key]

    def patient_message(self, reading: Reading | None = None) -> str:
        text = (self.variant and self.rule.variant_patient_message) or self.rule.patient_message
        return render_message(fill(text, self.rule.thresholds, self.code), reading, self.temperature_limits)

    def clinician_message(self, reading: Reading | None = None) -> str:
        text = (self.variant and self.rule.variant_clinician_message) or self.rule.clinician_message
        return render_message(fill(text, self.rule.thresholds, self.code), reading, self.temperature_limits)


def as_decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def merge_thresholds(
    rules: Iterable[Rule], overrides: Mapping[str, Decimal], adjustable: Mapping[str, str]
) -> dict[str, Rule]:
    """Rules by code, each with the patient's custom value in place of its default.

    ``overrides`` maps rule code -> value; ``adjustable`` maps rule code -> the key
    of ``thresholds`` that value replaces."""
    merged: dict[str, Rule] = {}
    for rule in rules:
        thresholds = {key: as_decimal(value) for key, value in rule.thresholds.items()}
        key = adjustable.get(rule.code)
        # Only a parameter the rule has (a rule that cannot run has none to replace).
        if key and key in thresholds and rule.code in overrides:
            thresholds[key] = as_decimal(overrides[rule.code])
        merged[rule.code] = replace(rule, thresholds=thresholds)
    return merged


def fahrenheit(celsius: Decimal) -> Decimal:
    return celsius * 9 / 5 + 32


def render_message(text: str, reading: Reading | None, limits_c: Sequence[Decimal] = ()) -> str:
    """Fill ``{temperature}`` (both units, one decimal, never rounded across a threshold
    in ``limits_c``: CLINICAL.md); unknown placeholders stay as they are."""
    if reading is None or reading.temperature_c is None or "{temperature}" not in text:
        return text.replace("{temperature}", "your temperature")
    celsius = rounded_within_limits(reading.temperature_c, 1, limits_c, fires_at_limit=True)
    shown_f = rounded_within_limits(
        fahrenheit(reading.temperature_c), 1, [fahrenheit(limit) for limit in limits_c], fires_at_limit=True
    )
    return text.replace("{temperature}", f"{celsius} °C / {shown_f} °F")


def ordered(fired: Iterable[Fired]) -> list[Fired]:
    """Highest severity first; within a severity, the table order of CLINICAL.md."""
    return sorted(fired, key=lambda f: (-SEVERITY_RANK[f.severity], f.rule.order, f.code))


# --- Section 2: rules evaluated on each entry -----------------------------------------


def has_fever(reading: Reading, rules: Mapping[str, Rule]) -> bool:
    fever = rules.get("fever")
    return bool(
        fever is not None and reading.temperature_c is not None and reading.temperature_c >= fever["temperature_c"]
    )


def _after_day(day: int | None, threshold: Decimal) -> bool:
    return day is not None and day > threshold


def _instant_checks(
    r: Reading, history: Sequence[Reading], rules: Mapping[str, Rule], facts: PatientFacts
) -> dict[str, bool | None]:
    """code -> None (not fired), False (fired) or True (fired in its variant form)."""
    day = facts.day(r.recorded_at)
    fever = has_fever(r, rules)
    results: dict[str, bool | None] = {}

    def check(code: str, test: Callable[[Rule], bool | None]) -> None:
        rule = rules.get(code)
        if rule is not None and rule.enabled:
            results[code] = test(rule)

    def fever_rule(t: Rule) -> bool | None:
        in_window = day is None or t["first_day"] <= day <= t["last_day"]
        return False if fever and in_window else None

    def fever_red_flag(t: Rule) -> bool | None:
        pain = t["pain_score"]
        flags = (
            r.neck_stiffness
            or r.confusion
            or r.vomiting
            or r.rash
            or (r.headache >= pain and not r.positional_headache)
            or r.back_pain >= pain
            or r.site_redness
            or r.site_drainage
        )
        return False if fever and flags else None

    def atypical_headache(t: Rule) -> bool | None:
        if r.headache < t["headache"]:
            return None
        if r.vision_change or r.confusion:
            return True  # urgent form
        if not r.positional_headache and _after_day(day, t["after_day"]):
            return False
        return None

    def severe_positional(t: Rule) -> bool:
        return r.positional_headache and r.headache >= t["headache"]

    def score_rise(t: Rule) -> bool | None:
        # At least ``rise`` above the lowest of the window, and higher than the entry just
        # before it: a falling score never fires; the first entry compares with nothing.
        since = r.recorded_at - timedelta(hours=float(t["window_hours"]))
        window = [h for h in history if since <= h.recorded_at < r.recorded_at]
        if not window:
            return None
        # The latest reading; at the same moment a real entry (with an id, the later id)
        # before a summary of the window (alerts.services.score_history).
        previous = max(window, key=lambda h: (h.recorded_at, h.entry_id is not None, h.entry_id or 0))
        for name in ("back_pain", "headache"):
            value = getattr(r, name)
            if value - min(getattr(h, name) for h in window) >= t["rise"] and value > getattr(previous, name):
                return False
        return None

    def when(condition: bool) -> bool | None:
        return False if condition else None

    check("fever", fever_rule)
    check("fever_red_flag", fever_red_flag)
    check("seizure", lambda t: when(r.seizure))
    check("rash", lambda t: when(r.rash))
    check("neck_stiffness", lambda t: when(r.neck_stiffness and not fever))
    check("neuro_deficit", lambda t: when(r.numbness or r.leg_weakness or r.bladder_bowel_change))
    check("confusion", lambda t: when(r.confusion))
    check("atypical_headache", atypical_headache)
    check("anticoagulated_back_pain", lambda t: when(facts.blood_thinner and r.back_pain >= t["back_pain"]))
    check("site_infection", lambda t: when((r.site_redness or r.site_drainage) and not fever))
    deficit = r.numbness or r.leg_weakness or r.bladder_bowel_change
    check("radiating_leg_pain", lambda t: when(r.radiating_leg_pain and not deficit))
    check("severe_positional_headache", lambda t: when(severe_positional(t)))
    severe = rules.get("severe_positional_headache")
    check(
        "positional_headache",
        lambda t: when(r.positional_headache and not (severe is not None and severe_positional(severe))),
    )
    check(
        "severe_pain",
        lambda t: when(
            (r.back_pain >= t["pain_score"] or r.headache >= t["pain_score"]) and _after_day(day, t["after_day"])
        ),
    )
    check("score_rise", score_rise)
    check("vomiting", lambda t: when(r.vomiting and not fever))
    check(
        "fever_masked",
        lambda t: when(r.took_fever_reducer and r.temperature_c is not None and r.temperature_c >= t["temperature_c"]),
    )
    return results


def evaluate(
    reading: Reading, history: Sequence[Reading], rules: Mapping[str, Rule], facts: PatientFacts
) -> list[Fired]:
    """The section 2 rules that fire for this entry, highest severity first.

    ``history`` is the patient's earlier entries (the last 48 hours is enough);
    ``rules`` are the instant rules by code with the patient's thresholds merged in."""
    results = _instant_checks(reading, history, rules, facts)
    return ordered(
        Fired(rules[code], variant=bool(variant)) for code, variant in results.items() if variant is not None
    )


# --- Section 3: pattern rules (the scheduled scan) ------------------------------------


@dataclass(frozen=True)
class PatternContext:
    """What the pattern rules need besides the entry, computed by the scan's query."""

    reading: Reading
    previous_has_deficit: bool | None = None  # None: no earlier entry
    # The two latest earlier temperature readings within the rising-fever window, newest first.
    previous_temperatures: tuple[Decimal, ...] = ()
    # Highest values of the baseline (the first ``baseline_hours`` of logging after the
    # procedure, earlier than this entry: alerts.scan); None when there is no such entry.
    baseline_headache: int | None = None
    baseline_back_pain: int | None = None


def evaluate_patterns(ctx: PatternContext, rules: Mapping[str, Rule], facts: PatientFacts) -> list[Fired]:
    r = ctx.reading
    fired: list[Fired] = []

    def enabled(code: str) -> Rule | None:
        rule = rules.get(code)
        return rule if rule is not None and rule.enabled else None

    if (t := enabled("rising_fever")) and r.temperature_c is not None and len(ctx.previous_temperatures) >= 2:
        newer, older = ctx.previous_temperatures[0], ctx.previous_temperatures[1]
        if older < newer < r.temperature_c and r.temperature_c >= t["last_temperature_c"]:
            fired.append(Fired(t))

    if (t := enabled("new_weakness")) and r.has_deficit and ctx.previous_has_deficit is False:
        fired.append(Fired(t))

    after_procedure = r.recorded_at - facts.procedure_at if facts.procedure_at is not None else None
    t = enabled("not_improving_72h")
    if t and after_procedure is not None and after_procedure >= timedelta(hours=float(t["after_hours"])):
        persisting = [
            name
            for name, baseline in (("headache", ctx.baseline_headache), ("back_pain", ctx.baseline_back_pain))
            if baseline is not None and getattr(r, name) >= t["pain_score"] and getattr(r, name) >= baseline
        ]
        if persisting:
            # The positional form asks for an anesthesiology review.
            fired.append(Fired(t, variant="headache" in persisting and r.positional_headache))

    t = enabled("late_back_pain")
    if t and _after_day(facts.day(r.recorded_at), t["after_day"]) and r.back_pain >= t["back_pain"]:
        fired.append(Fired(t, variant=has_fever(r, rules)))

    return ordered(fired)


def missed_checkin_anchor(
    *, last_entry_at: datetime | None, facts: PatientFacts, now: datetime, rule: Rule
) -> datetime | None:
    """The start of a gap that deserves a reminder, or None.

    A reminder is due when there has been no entry for ``gap_hours`` while the patient
    is in days 0..``last_day``. The gap starts at the last entry (or the procedure)."""
    if facts.procedure_at is None or not rule.enabled:
        return None
    if now >= facts.procedure_at + timedelta(days=float(rule["last_day"]) + 1):
        return None
    start = max(last_entry_at, facts.procedure_at) if last_entry_at is not None else facts.procedure_at
    if now - start >= timedelta(hours=float(rule["gap_hours"])):
        return start
    return None
