"""Every range of CLINICAL.md section 4, at and just beyond each boundary.

The rows are data (seeded by the migration); these tests pin the seeded values and
the flagging rules: inclusive limits ("0-5": 5 is normal), CRP "< 10" (10 is high,
a threshold fires at the boundary), ESR from age and sex, the lab's own range wins.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from labs.models import Analyte
from labs.values import prepare_values

pytestmark = pytest.mark.django_db

COLLECTED = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
FIFTY = date(1976, 1, 15)  # 50 years old on COLLECTED


UNITS = {
    "csf_wbc": "cells/uL",
    "csf_rbc": "cells/uL",
    "csf_glucose": "mg/dL",
    "serum_glucose": "mg/dL",
    "csf_serum_glucose_ratio": "ratio",
    "csf_protein": "mg/dL",
    "opening_pressure": "mmH2O",
    "crp": "mg/L",
    "esr": "mm/h",
}


def flag_of(code: str, value, *, kind: str = "csf", sex: str = "female", born: date = FIFTY, **extra):
    prepared = prepare_values(
        raw=[{"analyte": code, "value": value, "unit": UNITS[code], **extra}],
        kind=kind,
        sex=sex,
        date_of_birth=born,
        collected_at=COLLECTED,
    )
    (item,) = [entry for entry in prepared if entry.analyte.code == code]
    return item.flag


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        # csf_wbc 0-5 cells/uL; > 5 is pleocytosis
        ("csf_wbc", 0, "normal"),
        ("csf_wbc", 5, "normal"),
        ("csf_wbc", 5.1, "high"),
        ("csf_wbc", 6, "high"),
        # csf_glucose 45-80 mg/dL
        ("csf_glucose", 44.9, "low"),
        ("csf_glucose", 45, "normal"),
        ("csf_glucose", 80, "normal"),
        ("csf_glucose", 80.1, "high"),
        # serum_glucose 70-99 mg/dL fasting
        ("serum_glucose", 69.9, "low"),
        ("serum_glucose", 70, "normal"),
        ("serum_glucose", 99, "normal"),
        ("serum_glucose", 99.1, "high"),
        # csf_protein 15-45 mg/dL
        ("csf_protein", 14.9, "low"),
        ("csf_protein", 15, "normal"),
        ("csf_protein", 45, "normal"),
        ("csf_protein", 45.1, "high"),
        # opening_pressure 60-250 mmH2O
        ("opening_pressure", 59.9, "low"),
        ("opening_pressure", 60, "normal"),
        ("opening_pressure", 250, "normal"),
        ("opening_pressure", 250.1, "high"),
        # crp < 10 mg/L: 10 itself is above the range
        ("crp", 0, "normal"),
        ("crp", 9.9, "normal"),
        ("crp", 10, "high"),
        ("crp", 10.1, "high"),
    ],
)
def test_fixed_ranges_at_and_beyond_each_boundary(code, value, expected):
    kind = "blood" if code in ("crp", "serum_glucose") else "csf"
    assert flag_of(code, value, kind=kind) == expected


@pytest.mark.parametrize("value", [0, 12, 100000])
def test_csf_rbc_has_no_range_and_no_flag(value):
    assert flag_of("csf_rbc", value) == ""


@pytest.mark.parametrize(
    ("sex", "value", "expected"),
    [
        # A 50-year-old woman: (50 + 10) / 2 = 30 mm/h
        ("female", 0, "normal"),
        ("female", 30, "normal"),
        ("female", 30.1, "high"),
        ("female", 31, "high"),
        # A 50-year-old man: 50 / 2 = 25 mm/h
        ("male", 25, "normal"),
        ("male", 25.1, "high"),
        ("male", 26, "high"),
        # "other" gets the lower (men's) limit
        ("other", 25, "normal"),
        ("other", 25.1, "high"),
    ],
)
def test_esr_limit_from_age_and_sex(sex, value, expected):
    assert flag_of("esr", value, kind="blood", sex=sex) == expected


def test_esr_age_counts_whole_years_at_collection():
    # Turns 50 the day after collection: still 49, so a woman's limit is 29.5.
    born = date(1976, 6, 2)
    assert flag_of("esr", 29.5, kind="blood", born=born) == "normal"
    assert flag_of("esr", 29.6, kind="blood", born=born) == "high"


@pytest.mark.parametrize(
    ("csf", "serum", "ratio", "flag", "borderline"),
    [
        (60, 100, "0.6000", "normal", False),  # >= 0.6 is usual
        (59, 100, "0.5900", "low", True),  # 0.4-0.59 borderline
        (40, 100, "0.4000", "low", True),
        (39, 100, "0.3900", "low", False),  # < 0.4 low
        (59.5, 100, "0.5950", "low", True),  # flagged on the exact ratio: 0.595 is borderline
        (90, 100, "0.9000", "normal", False),
    ],
)
def test_glucose_ratio_is_computed_and_flagged(csf, serum, ratio, flag, borderline):
    prepared = prepare_values(
        raw=[
            {"analyte": "csf_glucose", "value": csf, "unit": "mg/dL"},
            {"analyte": "serum_glucose", "value": serum, "unit": "mg/dL"},
        ],
        kind="csf",
        sex="female",
        date_of_birth=FIFTY,
        collected_at=COLLECTED,
    )
    by_code = {item.analyte.code: item for item in prepared}
    item = by_code["csf_serum_glucose_ratio"]
    assert item.computed is True
    assert str(item.value) == ratio
    assert item.flag == flag
    is_borderline = item.reference.borderline_low is not None and item.value >= item.reference.borderline_low
    assert (flag == "low" and is_borderline) == borderline


def test_ratio_entered_alone_is_kept_and_flagged():
    assert flag_of("csf_serum_glucose_ratio", 0.5) == "low"


def test_ratio_entered_with_both_glucoses_is_refused():
    with pytest.raises(ValidationError) as caught:
        prepare_values(
            raw=[
                {"analyte": "csf_glucose", "value": 60, "unit": "mg/dL"},
                {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
                {"analyte": "csf_serum_glucose_ratio", "value": 0.6, "unit": "ratio"},
            ],
            kind="csf",
            sex="female",
            date_of_birth=FIFTY,
            collected_at=COLLECTED,
        )
    assert "values" in caught.value.message_dict


@pytest.mark.parametrize(
    ("code", "value", "low", "high", "expected"),
    [
        ("crp", 5, None, 5, "normal"),  # the lab's upper limit is inclusive and wins over < 10
        ("crp", 5.1, None, 5, "high"),
        ("crp", 12, None, 15, "normal"),
        ("csf_wbc", 8, 0, 10, "normal"),
        ("csf_rbc", 12, None, 10, "high"),  # a lab range gives a flag where there was none
        ("csf_glucose", 42, 40, None, "normal"),  # only the low limit replaced
        ("csf_glucose", 81, 40, None, "high"),  # the default high limit still applies
        ("esr", 40, None, 45, "normal"),
    ],
)
def test_the_labs_own_range_wins(code, value, low, high, expected):
    extra = {key: limit for key, limit in (("low", low), ("high", high)) if limit is not None}
    kind = "blood" if code in ("crp", "esr") else "csf"
    assert flag_of(code, value, kind=kind, **extra) == expected


@pytest.mark.parametrize(
    ("code", "value", "unit", "stored", "expected"),
    [
        ("csf_glucose", 2.5, "mmol/L", "45.0000", "normal"),  # mmol/L = mg/dL / 18
        ("csf_glucose", 2.4, "mmol/L", "43.2000", "low"),
        ("csf_protein", 0.45, "g/L", "45.0000", "normal"),  # g/L = mg/dL / 100
        ("csf_protein", 0.46, "g/L", "46.0000", "high"),
        ("opening_pressure", 25, "cmH2O", "250.0000", "normal"),  # cmH2O = mmH2O / 10
        ("csf_wbc", 6, "cells/uL", "6.0000", "high"),
    ],
)
def test_values_entered_in_other_units_are_converted(code, value, unit, stored, expected):
    prepared = prepare_values(
        raw=[{"analyte": code, "value": value, "unit": unit}],
        kind="csf",
        sex="female",
        date_of_birth=FIFTY,
        collected_at=COLLECTED,
    )
    assert str(prepared[0].value) == stored
    assert prepared[0].flag == expected


def test_every_analyte_of_clinical_md_is_seeded_with_a_citation_and_explanation():
    codes = set(Analyte.objects.values_list("code", flat=True))
    assert codes == {
        "csf_wbc",
        "csf_rbc",
        "csf_glucose",
        "serum_glucose",
        "csf_serum_glucose_ratio",
        "csf_protein",
        "opening_pressure",
        "crp",
        "esr",
    }
    for analyte in Analyte.objects.all():
        assert analyte.citation
        assert "clinician" in analyte.explanation.lower()


@pytest.mark.parametrize(
    "phrase",
    ["ruled out", "rules out", "rule out", "negative predictive", "under 50", "bed rest", "blood patch"],
)
def test_no_explanation_says_what_clinical_md_forbids(phrase):
    for analyte in Analyte.objects.all():
        assert phrase not in f"{analyte.explanation} {analyte.clinician_note}".lower()


def test_an_edited_range_in_admin_changes_new_flags():
    Analyte.objects.filter(code="crp").update(default_high=5)
    assert flag_of("crp", 6, kind="blood") == "high"
