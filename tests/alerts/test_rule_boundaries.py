"""Every rule of CLINICAL.md sections 2 and 3, at and just below its boundary.

The rules come from the seeded ``AlertRule`` rows (the data the engine really uses),
so these tests also check that the seed matches CLINICAL.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from alerts import engine
from alerts.rules import RuleBook, rule_rows
from patients.models import Patient
from tests.factories import PatientFactory

PROCEDURE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def rules(db):
    return RuleBook(rule_rows()).for_patient(0)


def on_day(day: int, hours: float = 1) -> datetime:
    return PROCEDURE + timedelta(days=day, hours=hours)


def reading(day: int = 1, *, hours: float = 1, back_pain: int = 1, headache: int = 1, temperature=None, **flags):
    return engine.Reading(
        recorded_at=on_day(day, hours),
        back_pain=back_pain,
        headache=headache,
        temperature_c=Decimal(str(temperature)) if temperature is not None else None,
        **flags,
    )


def fahrenheit_to_celsius(value: str) -> Decimal:
    return ((Decimal(value) - 32) * 5 / 9).quantize(Decimal("0.01"))


def fired_codes(rules, r, history=(), blood_thinner=False) -> dict[str, str]:
    facts = engine.PatientFacts(blood_thinner=blood_thinner, procedure_at=PROCEDURE)
    return {f.code: f.severity for f in engine.evaluate(r, list(history), rules, facts)}


C, F = "°C", "°F"


def temp(value: str, unit: str = C) -> Decimal:
    """A temperature as the diary stores it: °C with two decimals (100.4 °F is 38.00)."""
    return Decimal(value) if unit == C else fahrenheit_to_celsius(value)


INSTANT_CASES = [
    # (id, rule, entry, fires, severity when fired): at, just below and just above each boundary.
    ("fever at 38.0 C", "fever", dict(temperature=temp("38.0")), True, "contact_provider"),
    ("fever not at 37.9 C", "fever", dict(temperature=temp("37.9")), False, None),
    ("fever not at 37.99 C", "fever", dict(temperature=temp("37.99")), False, None),
    ("fever above at 38.1 C", "fever", dict(temperature=temp("38.1")), True, "contact_provider"),
    ("fever at 100.4 F", "fever", dict(temperature=temp("100.4", F)), True, "contact_provider"),
    ("fever not at 100.3 F", "fever", dict(temperature=temp("100.3", F)), False, None),
    ("fever above at 100.5 F", "fever", dict(temperature=temp("100.5", F)), True, "contact_provider"),
    ("fever on day 0", "fever", dict(day=0, temperature=temp("38.0")), True, "contact_provider"),
    ("fever on day 1", "fever", dict(day=1, temperature=temp("38.0")), True, "contact_provider"),
    ("fever on day 21", "fever", dict(day=21, temperature=temp("38.0")), True, "contact_provider"),
    ("fever not on day 22", "fever", dict(day=22, temperature=temp("38.0")), False, None),
    ("red flag: neck stiffness", "fever_red_flag", dict(temperature=temp("38.0"), neck_stiffness=True), True, "urgent"),
    ("red flag: at 100.4 F", "fever_red_flag", dict(temperature=temp("100.4", F), neck_stiffness=True), True, "urgent"),
    ("red flag needs fever (37.9 C)", "fever_red_flag", dict(temperature=temp("37.9"), neck_stiffness=True), False, None),
    ("red flag needs fever (100.3 F)", "fever_red_flag", dict(temperature=temp("100.3", F), rash=True), False, None),
    ("red flag: confusion", "fever_red_flag", dict(temperature=temp("38.0"), confusion=True), True, "urgent"),
    ("red flag: vomiting", "fever_red_flag", dict(temperature=temp("38.0"), vomiting=True), True, "urgent"),
    ("red flag: rash", "fever_red_flag", dict(temperature=temp("38.0"), rash=True), True, "urgent"),
    ("red flag: rash above 38.1", "fever_red_flag", dict(temperature=temp("38.1"), rash=True), True, "urgent"),
    ("red flag: headache 7", "fever_red_flag", dict(temperature=temp("38.0"), headache=7), True, "urgent"),
    ("red flag: headache 8", "fever_red_flag", dict(temperature=temp("38.0"), headache=8), True, "urgent"),
    ("red flag: not headache 6", "fever_red_flag", dict(temperature=temp("38.0"), headache=6), False, None),
    (
        "red flag: not a positional headache 7",
        "fever_red_flag",
        dict(temperature=temp("38.0"), headache=7, positional_headache=True),
        False,
        None,
    ),
    ("red flag: back pain 7", "fever_red_flag", dict(temperature=temp("38.0"), back_pain=7), True, "urgent"),
    ("red flag: back pain 8", "fever_red_flag", dict(temperature=temp("38.0"), back_pain=8), True, "urgent"),
    ("red flag: not back pain 6", "fever_red_flag", dict(temperature=temp("38.0"), back_pain=6), False, None),
    ("red flag: site redness", "fever_red_flag", dict(temperature=temp("38.0"), site_redness=True), True, "urgent"),
    ("red flag: site drainage", "fever_red_flag", dict(temperature=temp("38.0"), site_drainage=True), True, "urgent"),
    ("seizure", "seizure", dict(seizure=True), True, "urgent"),
    ("seizure with fever", "seizure", dict(seizure=True, temperature=temp("38.5")), True, "urgent"),
    ("no seizure", "seizure", dict(), False, None),
    ("rash", "rash", dict(rash=True), True, "urgent"),
    ("rash with fever", "rash", dict(rash=True, temperature=temp("100.4", F)), True, "urgent"),
    ("no rash", "rash", dict(temperature=temp("38.0")), False, None),
    ("stiff neck alone", "neck_stiffness", dict(neck_stiffness=True), True, "contact_provider"),
    ("stiff neck at 37.9 C", "neck_stiffness", dict(neck_stiffness=True, temperature=temp("37.9")), True, "contact_provider"),
    ("stiff neck at 100.3 F", "neck_stiffness", dict(neck_stiffness=True, temperature=temp("100.3", F)), True, "contact_provider"),
    ("stiff neck: not at 38.0 C (red flag)", "neck_stiffness", dict(neck_stiffness=True, temperature=temp("38.0")), False, None),
    ("stiff neck: not at 100.4 F (red flag)", "neck_stiffness", dict(neck_stiffness=True, temperature=temp("100.4", F)), False, None),
    ("stiff neck: not at 38.1 C (red flag)", "neck_stiffness", dict(neck_stiffness=True, temperature=temp("38.1")), False, None),
    ("neuro: numbness", "neuro_deficit", dict(numbness=True), True, "urgent"),
    ("neuro: leg weakness", "neuro_deficit", dict(leg_weakness=True), True, "urgent"),
    ("neuro: bladder or bowel", "neuro_deficit", dict(bladder_bowel_change=True), True, "urgent"),
    ("neuro: nothing", "neuro_deficit", dict(), False, None),
    ("confusion", "confusion", dict(confusion=True), True, "urgent"),
    ("no confusion", "confusion", dict(), False, None),
    ("atypical: headache 4 + vision", "atypical_headache", dict(headache=4, vision_change=True), True, "urgent"),
    ("atypical: not headache 3 + vision", "atypical_headache", dict(headache=3, vision_change=True), False, None),
    ("atypical: headache 5 + vision", "atypical_headache", dict(headache=5, vision_change=True), True, "urgent"),
    ("atypical: headache 4 + confusion", "atypical_headache", dict(headache=4, confusion=True), True, "urgent"),
    ("atypical: non-positional day 6", "atypical_headache", dict(day=6, headache=4), True, "contact_provider"),
    ("atypical: not on day 5", "atypical_headache", dict(day=5, headache=4), False, None),
    ("atypical: not headache 3 day 6", "atypical_headache", dict(day=6, headache=3), False, None),
    (
        "atypical: not positional day 6",
        "atypical_headache",
        dict(day=6, headache=4, positional_headache=True),
        False,
        None,
    ),
    ("site: redness", "site_infection", dict(site_redness=True), True, "contact_provider"),
    ("site: drainage", "site_infection", dict(site_drainage=True), True, "contact_provider"),
    ("site: at 37.9 C", "site_infection", dict(site_redness=True, temperature=temp("37.9")), True, "contact_provider"),
    ("site: not with fever", "site_infection", dict(site_redness=True, temperature=temp("38.0")), False, None),
    ("radiating leg pain", "radiating_leg_pain", dict(radiating_leg_pain=True), True, "contact_provider"),
    ("radiating: not with a deficit", "radiating_leg_pain", dict(radiating_leg_pain=True, numbness=True), False, None),
    (
        "severe positional: headache 7",
        "severe_positional_headache",
        dict(positional_headache=True, headache=7),
        True,
        "contact_provider",
    ),
    (
        "severe positional: not headache 6",
        "severe_positional_headache",
        dict(positional_headache=True, headache=6),
        False,
        None,
    ),
    ("positional: headache 6", "positional_headache", dict(positional_headache=True, headache=6), True, "info"),
    ("positional: not at 7 (severe)", "positional_headache", dict(positional_headache=True, headache=7), False, None),
    ("positional: not without it", "positional_headache", dict(headache=6), False, None),
    ("severe pain: back 7 day 3", "severe_pain", dict(day=3, back_pain=7), True, "contact_provider"),
    ("severe pain: back 8 day 3", "severe_pain", dict(day=3, back_pain=8), True, "contact_provider"),
    ("severe pain: headache 7 day 3", "severe_pain", dict(day=3, headache=7), True, "contact_provider"),
    ("severe pain: not back 6 day 3", "severe_pain", dict(day=3, back_pain=6), False, None),
    ("severe pain: not on day 2", "severe_pain", dict(day=2, back_pain=7), False, None),
    ("vomiting", "vomiting", dict(vomiting=True), True, "contact_provider"),
    ("vomiting at 100.3 F", "vomiting", dict(vomiting=True, temperature=temp("100.3", F)), True, "contact_provider"),
    ("vomiting: not with fever", "vomiting", dict(vomiting=True, temperature=temp("38.0")), False, None),
    ("masked fever at 37.5 C", "fever_masked", dict(took_fever_reducer=True, temperature=temp("37.5")), True, "info"),
    ("masked fever: not 37.4 C", "fever_masked", dict(took_fever_reducer=True, temperature=temp("37.4")), False, None),
    ("masked fever above: 37.6 C", "fever_masked", dict(took_fever_reducer=True, temperature=temp("37.6")), True, "info"),
    ("masked fever at 99.5 F", "fever_masked", dict(took_fever_reducer=True, temperature=temp("99.5", F)), True, "info"),
    ("masked fever: not 99.4 F", "fever_masked", dict(took_fever_reducer=True, temperature=temp("99.4", F)), False, None),
    ("masked fever above: 99.6 F", "fever_masked", dict(took_fever_reducer=True, temperature=temp("99.6", F)), True, "info"),
    ("masked fever: needs the reducer", "fever_masked", dict(temperature=temp("37.5")), False, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "entry", "fires", "severity"), [c[1:] for c in INSTANT_CASES], ids=[c[0] for c in INSTANT_CASES]
)
def test_instant_rule_boundary(rules, rule, entry, fires, severity):
    entry = dict(entry)
    day = entry.pop("day", 1)
    fired = fired_codes(rules, reading(day, **entry))
    assert (rule in fired) is fires
    if fires:
        assert fired[rule] == severity


@pytest.mark.parametrize(
    ("back_pain", "flags", "fires"),
    [
        (7, {"anticoagulant": True}, True),
        (8, {"anticoagulant": True}, True),
        (6, {"anticoagulant": True}, False),
        (7, {"warfarin": True}, True),
        (8, {"warfarin": True}, True),
        (6, {"warfarin": True}, False),
        (7, {}, False),
    ],
    ids=[
        "back pain 7 on an anticoagulant",
        "8 on an anticoagulant",
        "not 6 on an anticoagulant",
        "back pain 7 on warfarin",
        "8 on warfarin",
        "not 6 on warfarin",
        "not without a blood thinner",
    ],
)
def test_anticoagulated_back_pain_boundary(db, rules, back_pain, flags, fires):
    """Every blood-thinner flag of the profile counts (CLINICAL.md section 2)."""
    patient = PatientFactory.build(**flags)
    fired = fired_codes(rules, reading(1, back_pain=back_pain), blood_thinner=patient.takes_blood_thinner)
    assert ("anticoagulated_back_pain" in fired) is fires
    if fires:
        assert fired["anticoagulated_back_pain"] == "urgent"


def test_every_blood_thinner_flag_of_the_health_form_counts():
    """The flags CLINICAL.md section 5 names as blood thinners are each a field of the profile."""
    assert set(Patient.BLOOD_THINNER_FLAGS) == {"anticoagulant", "warfarin"}
    assert {f.name for f in Patient._meta.get_fields()} >= set(Patient.BLOOD_THINNER_FLAGS)


@pytest.mark.parametrize(
    ("earlier", "hours_before", "now", "fires"),
    [
        (3, 2, 5, True),  # a 2-point rise (at the boundary)
        (3, 2, 4, False),  # a 1-point rise (below)
        (3, 2, 6, True),  # a 3-point rise (above)
        (3, 24, 5, True),  # exactly 24 h before still counts
        (3, 23.9, 5, True),
        (3, 24.1, 5, False),  # older than 24 h: compares with nothing
        (None, None, 9, False),  # the first entry compares with nothing
    ],
    ids=["rise 2", "rise 1", "rise 3", "24h boundary", "23.9h", "24.1h", "first entry"],
)
@pytest.mark.parametrize("field", ["back_pain", "headache"])
def test_score_rise_boundary(rules, field, earlier, hours_before, now, fires):
    current = reading(2, **{field: now})
    history = []
    if earlier is not None:
        at = current.recorded_at - timedelta(hours=hours_before)
        history.append(engine.Reading(recorded_at=at, **{"back_pain": 1, "headache": 1, field: earlier}))
    fired = fired_codes(rules, current, history)
    assert ("score_rise" in fired) is fires


@pytest.mark.parametrize(
    ("lowest", "previous", "now", "fires"),
    [
        (2, 4, 5, True),  # 3 above the lowest, higher than the entry before
        (2, 5, 5, False),  # level with the entry before: not rising
        (2, 6, 5, False),  # falling from 6: never fires, though 3 above the lowest
        (2, 7, 4, False),  # falling, exactly 2 above the lowest
        (3, 4, 5, True),  # at the boundary: 2 above the lowest, 1 above the entry before
    ],
    ids=["rising", "level", "falling", "falling at +2", "rising at +2"],
)
def test_score_rise_ignores_a_falling_score(rules, lowest, previous, now, fires):
    current = reading(2, headache=now)
    history = [
        engine.Reading(recorded_at=current.recorded_at - timedelta(hours=10), back_pain=1, headache=lowest),
        engine.Reading(recorded_at=current.recorded_at - timedelta(hours=3), back_pain=1, headache=previous),
    ]
    assert ("score_rise" in fired_codes(rules, current, history)) is fires


def test_score_rise_compares_with_the_lowest_value(rules):
    current = reading(2, headache=6)
    history = [
        engine.Reading(recorded_at=current.recorded_at - timedelta(hours=h), back_pain=1, headache=v)
        for h, v in ((3, 5), (10, 4), (20, 6))
    ]
    assert "score_rise" in fired_codes(rules, current, history)


def test_highest_severity_first_and_every_fired_rule_listed(rules):
    r = reading(3, temperature=38.4, neck_stiffness=True, positional_headache=True, headache=5, took_fever_reducer=True)
    fired = engine.evaluate(r, [], rules, engine.PatientFacts(procedure_at=PROCEDURE))
    severities = [f.severity for f in fired]
    assert severities == sorted(severities, key=lambda s: -engine.SEVERITY_RANK[s])
    assert severities[0] == "urgent"
    assert {"fever_red_flag", "fever", "positional_headache", "fever_masked"} <= {f.code for f in fired}


def test_urgent_message_starts_with_the_emergency_instruction(rules):
    fired = engine.evaluate(reading(1, numbness=True), [], rules, engine.PatientFacts(procedure_at=PROCEDURE))
    message = fired[0].patient_message()
    assert message.startswith(
        "This needs medical attention now. Call {emergency_number} or go to the nearest emergency department. "
    )
    assert "cannot reach us" not in message and "has been alerted" not in message


def test_fever_message_gives_both_units(rules):
    r = reading(1, temperature=38.3)
    fever = next(
        f for f in engine.evaluate(r, [], rules, engine.PatientFacts(procedure_at=PROCEDURE)) if f.code == "fever"
    )
    assert "38.3 °C / 100.9 °F" in fever.patient_message(r)
    assert "Contact your care team today." in fever.patient_message(r)


def test_a_custom_threshold_replaces_the_default_for_that_patient_only(db):
    rows = rule_rows()
    book = RuleBook(rows, {7: {"fever": Decimal("38.5")}})
    r = reading(1, temperature=38.2)
    facts = engine.PatientFacts(procedure_at=PROCEDURE)
    assert "fever" not in {f.code for f in engine.evaluate(r, [], book.for_patient(7), facts)}
    assert "fever" in {f.code for f in engine.evaluate(r, [], book.for_patient(8), facts)}


# --- Section 3: pattern rules ---------------------------------------------------------------


def patterns(rules, r, **context) -> dict[str, engine.Fired]:
    ctx = engine.PatternContext(reading=r, **context)
    return {f.code: f for f in engine.evaluate_patterns(ctx, rules, engine.PatientFacts(procedure_at=PROCEDURE))}


@pytest.mark.parametrize(
    ("previous", "now", "fires"),
    [
        (("37.2", "37.0"), temp("37.5"), True),
        (("37.2", "37.0"), temp("37.4"), False),  # the last reading below 37.5
        (("37.2", "37.0"), temp("37.6"), True),
        (("37.2", "37.0"), temp("99.5", F), True),  # 99.5 °F is 37.5 °C
        (("37.2", "37.0"), temp("99.4", F), False),
        (("37.2", "37.0"), temp("99.6", F), True),
        (("37.0", "37.0"), temp("37.5"), False),  # not each higher than the last
        (("37.6", "37.0"), temp("37.5"), False),
        (("37.2",), temp("37.5"), False),  # only two readings in the window
    ],
    ids=[
        "rising to 37.5 C",
        "rising to 37.4 C",
        "rising to 37.6 C",
        "rising to 99.5 F",
        "rising to 99.4 F",
        "rising to 99.6 F",
        "flat then rise",
        "fall then rise",
        "two readings",
    ],
)
def test_rising_fever_boundary(rules, previous, now, fires):
    fired = patterns(rules, reading(2, temperature=now), previous_temperatures=tuple(Decimal(p) for p in previous))
    assert ("rising_fever" in fired) is fires
    if fires:
        assert fired["rising_fever"].severity == "contact_provider"


@pytest.mark.parametrize(
    ("flags", "previous_has_deficit", "fires"),
    [
        ({"leg_weakness": True}, False, True),
        ({"numbness": True}, False, True),
        ({"leg_weakness": True}, True, False),  # not new
        ({"leg_weakness": True}, None, False),  # no earlier entry
        ({}, False, False),
    ],
    ids=["weakness after none", "numbness after none", "already there", "first entry", "none"],
)
def test_new_weakness_boundary(rules, flags, previous_has_deficit, fires):
    fired = patterns(rules, reading(2, **flags), previous_has_deficit=previous_has_deficit)
    assert ("new_weakness" in fired) is fires
    if fires:
        assert fired["new_weakness"].severity == "urgent"


@pytest.mark.parametrize(
    ("hours", "headache", "baseline", "fires"),
    [
        (72, 4, 4, True),  # at 72 h, 4, not lower than the baseline high
        (71.9, 4, 4, False),  # before 72 h
        (72.1, 4, 4, True),
        (72, 3, 3, False),  # below 4
        (72, 5, 5, True),  # above 4
        (72, 4, 5, False),  # lower than the baseline high: improving
        (72, 5, 4, True),  # worse than the baseline
        (72, 4, None, False),  # no earlier entry in the baseline
    ],
    ids=["72h at 4", "71.9h", "72.1h", "score 3", "score 5", "improving", "worse", "no baseline"],
)
def test_not_improving_72h_boundary(rules, hours, headache, baseline, fires):
    r = engine.Reading(recorded_at=PROCEDURE + timedelta(hours=hours), back_pain=0, headache=headache)
    fired = patterns(rules, r, baseline_headache=baseline, baseline_back_pain=None)
    assert ("not_improving_72h" in fired) is fires


def test_not_improving_positional_headache_asks_for_anesthesiology_review(rules):
    r = engine.Reading(recorded_at=PROCEDURE + timedelta(hours=80), back_pain=0, headache=6, positional_headache=True)
    fired = patterns(rules, r, baseline_headache=6)["not_improving_72h"]
    assert "anesthesiology review" in fired.clinician_message()
    plain = patterns(rules, replace_flag(r, positional_headache=False), baseline_headache=6)["not_improving_72h"]
    assert "anesthesiology" not in plain.clinician_message()
    assert "consider review" in plain.clinician_message()


def replace_flag(r: engine.Reading, **changes) -> engine.Reading:
    from dataclasses import replace

    return replace(r, **changes)


@pytest.mark.parametrize(
    ("day", "back_pain", "temperature", "fires", "severity"),
    [
        (15, 3, None, True, "contact_provider"),
        (14, 3, None, False, None),  # not after day 14
        (16, 3, None, True, "contact_provider"),
        (15, 2, None, False, None),
        (15, 4, None, True, "contact_provider"),
        (15, 3, temp("38.0"), True, "urgent"),  # with fever
        (15, 3, temp("37.9"), True, "contact_provider"),
        (15, 3, temp("38.1"), True, "urgent"),
        (15, 3, temp("100.4", F), True, "urgent"),
        (15, 3, temp("100.3", F), True, "contact_provider"),
        (15, 3, temp("100.5", F), True, "urgent"),
    ],
    ids=[
        "day 15 back 3",
        "day 14",
        "day 16",
        "back 2",
        "back 4",
        "with fever 38.0 C",
        "at 37.9 C",
        "at 38.1 C",
        "with fever 100.4 F",
        "at 100.3 F",
        "at 100.5 F",
    ],
)
def test_late_back_pain_boundary(rules, day, back_pain, temperature, fires, severity):
    fired = patterns(rules, reading(day, back_pain=back_pain, temperature=temperature))
    assert ("late_back_pain" in fired) is fires
    if fires:
        assert fired["late_back_pain"].severity == severity


@pytest.mark.parametrize(
    ("hours_since_entry", "now_day", "due"),
    [(24, 2, True), (23.9, 2, False), (24, 4, False), (30, 3, True)],
    ids=["24h gap on day 2", "23.9h gap", "day 4 is past day 3", "day 3"],
)
def test_missed_checkin_boundary(rules, hours_since_entry, now_day, due):
    now = on_day(now_day, 2)
    anchor = engine.missed_checkin_anchor(
        last_entry_at=now - timedelta(hours=hours_since_entry),
        facts=engine.PatientFacts(procedure_at=PROCEDURE),
        now=now,
        rule=rules["missed_checkin"],
    )
    assert (anchor is not None) is due


def test_every_rule_of_clinical_md_is_seeded_with_a_citation(db):
    rows = {row.code: row for row in rule_rows()}
    section_2 = {
        "fever", "fever_red_flag", "seizure", "rash", "neck_stiffness", "neuro_deficit", "confusion",
        "atypical_headache", "anticoagulated_back_pain",
        "site_infection", "radiating_leg_pain", "severe_positional_headache", "positional_headache", "severe_pain",
        "score_rise", "vomiting", "fever_masked",
    }  # fmt: skip
    section_3 = {"rising_fever", "new_weakness", "not_improving_72h", "late_back_pain", "missed_checkin"}
    assert section_2 | section_3 <= rows.keys()
    assert {c for c in section_2 if rows[c].kind == "instant"} == section_2
    assert {c for c in section_3 if rows[c].kind == "pattern"} == section_3
    assert all(row.citation_key and row.patient_message and row.summary for row in rows.values())
