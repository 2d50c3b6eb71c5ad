"""Analyte reference data from CLINICAL.md section 4 (adult defaults).

Admins edit these rows afterwards; this migration only creates missing ones, so
re-running it (or a later squash) never overwrites an edited range.
Explanations inform, never diagnose, and never say an infection is "ruled out".
"""

from decimal import Decimal

from django.db import migrations

CLOSING = "Only your clinician can interpret this value, together with your symptoms and your other results."

ANALYTES = [
    {
        "code": "csf_wbc",
        "name": "White blood cells in spinal fluid (CSF WBC)",
        "short_name": "CSF WBC",
        "specimen": "csf",
        "unit": "cells/µL",
        "si_unit": "×10⁶/L",
        "si_factor": Decimal("1"),
        "default_low": Decimal("0"),
        "default_high": Decimal("5"),
        "range_text": "0–5 cells/µL",
        "explanation": (
            "This counts white blood cells, the cells that fight infection, in the fluid around the brain and "
            "spinal cord. Normally there are very few: 0 to 5 per microlitre. A higher count means there is some "
            "inflammation in that fluid, which has several possible causes, infection among them, so your care "
            "team looks at it promptly. A count in the normal range is reassuring, but it is one piece of the "
            "picture. " + CLOSING
        ),
        "clinician_note": "> 5 cells/µL is pleocytosis; interpret the differential only then.",
        "review_when": "high",
        "display_order": 10,
        "citation": "UKMEN",
    },
    {
        "code": "csf_rbc",
        "name": "Red blood cells in spinal fluid (CSF RBC)",
        "short_name": "CSF RBC",
        "specimen": "csf",
        "unit": "cells/µL",
        "si_unit": "×10⁶/L",
        "si_factor": Decimal("1"),
        "range_text": "No set normal range",
        "explanation": (
            "This counts red blood cells in the fluid around the brain and spinal cord. There is no set normal "
            "range. A few red cells usually come from the needle touching a tiny blood vessel on the way in "
            "(a 'traumatic tap'), which is common. " + CLOSING
        ),
        "clinician_note": "A few red cells usually come from the needle (traumatic tap).",
        "display_order": 20,
        "citation": "UKMEN",
    },
    {
        "code": "csf_glucose",
        "name": "Glucose (sugar) in spinal fluid",
        "short_name": "CSF glucose",
        "specimen": "csf",
        "unit": "mg/dL",
        "si_unit": "mmol/L",
        "si_factor": Decimal("18"),
        "default_low": Decimal("45"),
        "default_high": Decimal("80"),
        "range_text": "45–80 mg/dL (2.5–4.4 mmol/L)",
        "explanation": (
            "This measures sugar (glucose) in the fluid around the brain and spinal cord. The usual range is "
            "45 to 80 mg/dL (2.5 to 4.4 mmol/L). Spinal fluid sugar follows blood sugar, so it is always read "
            "next to a blood glucose taken around the same time (see the glucose ratio). A low value can mean "
            "something in the fluid is using up sugar, for example an infection, and your care team reviews it. "
            + CLOSING
        ),
        "clinician_note": "Never read without the blood glucose.",
        "display_order": 30,
        "citation": "UKMEN",
    },
    {
        "code": "serum_glucose",
        "name": "Glucose (sugar) in blood",
        "short_name": "Blood glucose",
        "specimen": "blood",
        "unit": "mg/dL",
        "si_unit": "mmol/L",
        "si_factor": Decimal("18"),
        "default_low": Decimal("70"),
        "default_high": Decimal("99"),
        "range_text": "70–99 mg/dL when fasting",
        "explanation": (
            "This measures sugar (glucose) in your blood. The usual range after not eating for several hours "
            "(fasting) is 70 to 99 mg/dL; a recent meal raises it, so whether you were fasting is noted. It is "
            "taken together with the spinal fluid glucose so that the two can be compared. " + CLOSING
        ),
        "clinician_note": "Record whether fasting.",
        "display_order": 40,
        "citation": "UKMEN",
    },
    {
        "code": "csf_serum_glucose_ratio",
        "name": "Spinal fluid to blood glucose ratio",
        "short_name": "CSF/blood glucose ratio",
        "specimen": "csf",
        "unit": "ratio",
        "default_low": Decimal("0.6"),
        "borderline_low": Decimal("0.4"),
        "range_text": "0.6 or more",
        "explanation": (
            "This is the spinal fluid sugar divided by the blood sugar; the portal works it out when both were "
            "measured. A ratio of 0.6 or more is usual. Between 0.4 and 0.59 is called borderline, and below 0.4 "
            "is low. A lower ratio can be a sign of infection or inflammation in the spinal fluid, so your care "
            "team reviews it promptly. " + CLOSING
        ),
        "clinician_note": "0.4–0.59 borderline, < 0.4 low.",
        "computed": True,
        "review_when": "low",
        "decimal_places": 2,
        "display_order": 50,
        "citation": "UKMEN",
    },
    {
        "code": "csf_protein",
        "name": "Protein in spinal fluid",
        "short_name": "CSF protein",
        "specimen": "csf",
        "unit": "mg/dL",
        "si_unit": "g/L",
        "si_factor": Decimal("100"),
        "default_low": Decimal("15"),
        "default_high": Decimal("45"),
        "range_text": "15–45 mg/dL (0.15–0.45 g/L)",
        "explanation": (
            "This measures protein in the fluid around the brain and spinal cord. The usual range is 15 to "
            "45 mg/dL (0.15 to 0.45 g/L); in older adults up to about 60 mg/dL can be usual. A higher value has "
            "many possible causes, such as inflammation, infection or a little blood in the sample. " + CLOSING
        ),
        "clinician_note": "Up to about 60 mg/dL in older adults.",
        "review_when": "high",
        "display_order": 60,
        "citation": "UKMEN",
    },
    {
        "code": "opening_pressure",
        "name": "Opening pressure",
        "short_name": "Opening pressure",
        "specimen": "csf",
        "unit": "mmH₂O",
        "si_unit": "cmH₂O",
        "si_factor": Decimal("10"),
        "default_low": Decimal("60"),
        "default_high": Decimal("250"),
        "range_text": "60–250 mmH₂O (6–25 cmH₂O)",
        "explanation": (
            "This is the pressure of the spinal fluid, measured at the start of the procedure, in millimetres of "
            "water. The usual range is 60 to 250 mmH₂O (6 to 25 cmH₂O). It is only accurate when measured lying "
            "on your side. A pressure outside the range has several possible causes. " + CLOSING
        ),
        "clinician_note": "Valid lying on the side only.",
        "display_order": 70,
        "citation": "WHITELEY",
    },
    {
        "code": "crp",
        "name": "C-reactive protein (CRP)",
        "short_name": "CRP",
        "specimen": "blood",
        "unit": "mg/L",
        "default_high": Decimal("10"),
        "high_inclusive": False,
        "range_text": "below 10 mg/L (or the lab's own limit)",
        "explanation": (
            "CRP is a blood test that rises when there is inflammation or infection somewhere in the body. Below "
            "10 mg/L is usual; when your lab gives its own limit, that limit is used instead. A raised CRP does "
            "not say where the inflammation is or what causes it; it tells your care team that something may "
            "need a closer look. " + CLOSING
        ),
        "clinician_note": "Prefer the lab's upper limit.",
        "review_when": "high_with_back_pain",
        "back_pain_min_score": 3,
        "back_pain_within_days": 7,
        "decimal_places": 1,
        "display_order": 80,
        "citation": "IDSA15",
    },
    {
        "code": "esr",
        "name": "Erythrocyte sedimentation rate (ESR)",
        "short_name": "ESR",
        "specimen": "blood",
        "unit": "mm/h",
        "range_rule": "age_sex",
        "age_divisor": Decimal("2"),
        "female_age_offset": Decimal("10"),
        "range_text": "up to age ÷ 2 (men) or (age + 10) ÷ 2 (women)",
        "explanation": (
            "ESR measures how quickly red blood cells settle at the bottom of a tube in one hour. It rises with "
            "inflammation or infection, and it also rises naturally with age and is a little higher in women, so "
            "the usual upper limit is worked out from your age and sex: about half your age for men and half of "
            "your age plus 10 for women. A raised ESR is not specific to any one illness. " + CLOSING
        ),
        "clinician_note": "Needs date of birth and sex; 'other' uses the men's (lower) limit.",
        "review_when": "high_with_back_pain",
        "back_pain_min_score": 3,
        "back_pain_within_days": 7,
        "display_order": 90,
        "citation": "MILLER; IDSA15",
    },
]


def seed(apps, schema_editor):
    Analyte = apps.get_model("labs", "Analyte")
    for row in ANALYTES:
        Analyte.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})


def unseed(apps, schema_editor):
    # Reference rows may be referenced by values; leaving them is safe.
    pass


class Migration(migrations.Migration):
    dependencies = [("labs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
