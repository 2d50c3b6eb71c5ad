"""The pain plan (CLINICAL.md section 5): every exclusion and every "approval
first" condition, the caps, the non-drug options. Never a prescription."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from patients.models import Drug, PainPlanCondition
from portal.audit.models import AuditEvent

URL = "/api/v1/pain-plan/"
TODAY = date(2026, 11, 24)

# (health factors, medication class, expected status): CLINICAL.md section 5, row by row.
CONDITIONS = [
    ({"allergies": ["acetaminophen"]}, "acetaminophen", "excluded"),
    ({"liver_disease": True}, "acetaminophen", "approval_first"),
    ({"heavy_alcohol": True}, "acetaminophen", "approval_first"),
    ({"warfarin": True}, "acetaminophen", "approval_first"),
    ({"allergies": ["nsaid"]}, "nsaid", "excluded"),
    ({"allergies": ["aspirin"]}, "nsaid", "excluded"),
    ({"kidney_disease": True}, "nsaid", "approval_first"),
    ({"diuretic": True}, "nsaid", "approval_first"),
    ({"high_blood_pressure": True}, "nsaid", "approval_first"),
    ({"heart_disease_or_stroke": True}, "nsaid", "approval_first"),
    ({"ulcer_or_gi_bleed": True}, "nsaid", "approval_first"),
    ({"date_of_birth": date(1966, 11, 24)}, "nsaid", "approval_first"),  # 60 today
    ({"anticoagulant": True}, "nsaid", "approval_first"),
    ({"warfarin": True}, "nsaid", "approval_first"),
    ({"steroid": True}, "nsaid", "approval_first"),
    ({"asthma": True}, "nsaid", "approval_first"),
    ({"pregnancy_weeks": 20}, "nsaid", "approval_first"),
    ({"arrhythmia_or_seizure": True}, "caffeine", "approval_first"),
    ({"high_blood_pressure": True}, "caffeine", "approval_first"),
]

# Just below each numeric boundary nothing applies.
BELOW_BOUNDARIES = [
    ({"date_of_birth": date(1966, 11, 25)}, "nsaid"),  # 59, turns 60 tomorrow
    ({"pregnancy_weeks": 19}, "nsaid"),
]


def plan_for(patient, **factors):
    for name, value in factors.items():
        setattr(patient, name, value)
    patient.save()
    from patients.pain_plan import pain_plan_for

    return {o.medication_class: o for o in pain_plan_for(patient, today=TODAY).options}


@pytest.mark.parametrize(("factors", "medication_class", "status"), CONDITIONS)
def test_each_condition(patient, factors, medication_class, status):
    option = plan_for(patient, **factors)[medication_class]
    assert option.status == status
    assert option.suitable is False
    assert option.discuss_with_clinician is True
    assert option.reasons and option.reasons[0] != "Nothing in your health details rules this out."


@pytest.mark.parametrize(("factors", "medication_class", "status"), CONDITIONS)
def test_a_condition_touches_only_its_classes(patient, factors, medication_class, status):
    affected = {m for f, m, _ in CONDITIONS if f == factors}
    for other, option in plan_for(patient, **factors).items():
        if other not in affected:
            assert option.status == "suitable", (factors, other)


@pytest.mark.parametrize(("factors", "medication_class"), BELOW_BOUNDARIES)
def test_just_below_a_numeric_boundary(patient, factors, medication_class):
    assert plan_for(patient, **factors)[medication_class].status == "suitable"


def test_every_seeded_condition_is_covered_by_this_table(db):
    seeded = {(c.policy.medication_class, c.factor) for c in PainPlanCondition.objects.select_related("policy")}
    factor_of = {
        "allergies": None,
        "date_of_birth": "age",
    }
    covered = set()
    for factors, medication_class, _ in CONDITIONS:
        for name, value in factors.items():
            factor = factor_of.get(name, name)
            if name == "allergies":
                factor = f"allergy_{value[0]}"
            covered.add((medication_class, factor))
    assert seeded == covered


def test_exclusion_wins_over_approval(patient):
    option = plan_for(patient, allergies=["nsaid"], kidney_disease=True)["nsaid"]
    assert option.status == "excluded"
    assert len(option.reasons) == 2


def test_no_factors_everything_is_suitable_to_discuss(patient):
    for option in plan_for(patient).values():
        assert option.suitable and option.status == "suitable"
        assert option.discuss_with_clinician is True


def test_daily_caps(patient):
    plan = plan_for(patient)
    assert plan["acetaminophen"].daily_cap_mg == 3000
    limits = {limit.drug: limit for option in plan.values() for limit in option.limits}
    assert (
        limits["acetaminophen"].text
        == "Acetaminophen 500 mg, or not sure: at most 3,000 mg in 24 hours; never more than 4,000 mg."
    )
    assert (limits["acetaminophen_325"].daily_cap_mg, limits["acetaminophen_325"].never_above_mg) == (3250, 4000)
    assert plan["nsaid"].daily_cap_mg == 1200  # the class's default drug, ibuprofen
    assert (limits["ibuprofen"].daily_cap_mg, limits["naproxen"].daily_cap_mg) == (1200, 660)
    assert "do not combine" in plan["nsaid"].cap_text.lower()
    assert plan["caffeine"].daily_cap_mg == 300 and limits["caffeine"].never_above_mg == 400
    assert "prevent" in plan["caffeine"].use_note  # treatment of an existing headache only


def test_caffeine_cap_in_pregnancy_and_breastfeeding(patient):
    assert plan_for(patient, pregnancy_weeks=12)["caffeine"].daily_cap_mg == 200
    assert plan_for(patient, pregnancy_weeks=None, breastfeeding=True)["caffeine"].daily_cap_mg == 300


def test_caps_are_data_not_code(patient):
    Drug.objects.filter(code="ibuprofen").update(daily_cap_mg=800)
    assert plan_for(patient)["nsaid"].daily_cap_mg == 800


def test_non_drug_options_respect_fluid_restriction(patient, patient_api):
    texts = [row["text"] for row in patient_api.get(URL).json()["non_drug"]]
    assert any("normally hydrated" in t for t in texts)
    assert any("lying flat" in t for t in texts)
    assert any("lifting" in t for t in texts)
    assert any("Heat or an ice pack" in t for t in texts)
    patient.fluid_restriction = True
    patient.save()
    texts = [row["text"] for row in patient_api.get(URL).json()["non_drug"]]
    assert not any("hydrat" in t.lower() or "drink" in t.lower() for t in texts)


def test_api_shape(patient_api):
    with time_machine.travel(TODAY):
        body = patient_api.get(URL).json()
    assert [o["medication_class"] for o in body["options"]] == ["acetaminophen", "nsaid", "caffeine"]
    for option in body["options"]:
        assert set(option) >= {"medication_class", "suitable", "reasons", "discuss_with_clinician"}
        assert option["discuss_with_clinician"] is True
        assert option["citations"]
    assert "not a prescription" in body["note"]


def test_clinician_reads_a_care_team_patients_plan_audited(patient, clinician, clinician_api):
    assert clinician_api.get(URL, {"patient": patient.pk}).status_code == 200
    assert AuditEvent.objects.filter(actor=clinician, action="pain_plan.read", patient_id=patient.pk).exists()


# CLINICAL.md section 6: never encoded, never displayed.
FORBIDDEN = [
    "rule out",
    "rules out",
    "ruled out",
    "negative predictive",
    "npv",
    "bed rest",
    "blood patch",
    "extra fluid",
    "litre",
    "liter",
    "ml of",
    "lymphocytic",
    "needle type",
]


def test_nothing_from_section_6_in_the_plan(patient, patient_api, client_for):
    plan_for(patient, pregnancy_weeks=22, kidney_disease=True)
    text = patient_api.get(URL).content.decode().lower()
    page = client_for(patient.user).get("/pain-plan/").content.decode().lower()
    for phrase in FORBIDDEN:
        assert phrase not in text, phrase
        assert phrase not in page, phrase
