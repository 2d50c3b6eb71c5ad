"""Seed the pain plan (CLINICAL.md section 5) and the diary's trend thresholds.

Each row carries its citation key. Admins edit the rows afterwards; running this
migration again (a fresh database) recreates the defaults below.
"""

from django.db import migrations

POLICIES = [
    {
        "medication_class": "acetaminophen",
        "label": "Acetaminophen (paracetamol)",
        "examples": "Tylenol; also inside many cold, flu and combination pain products",
        "daily_cap_mg": 3000,
        "pregnancy_cap_mg": None,
        "breastfeeding_cap_mg": None,
        "never_above_mg": 4000,
        "cap_text": (
            "At most 3,000 mg in 24 hours with 500 mg tablets, or 3,250 mg with 325 mg tablets; "
            "never more than 4,000 mg. Count the acetaminophen in combination products too."
        ),
        "use_note": "",
        "citation": "APAP",
        "order": 1,
        "conditions": [
            ("allergy_acetaminophen", None, "excludes", "You are allergic to acetaminophen.", "APAP"),
            ("liver_disease", None, "approval_first", "You have liver disease.", "APAP"),
            ("heavy_alcohol", None, "approval_first", "You have 3 or more alcoholic drinks a day.", "APAP"),
            ("warfarin", None, "approval_first", "You take warfarin.", "APAP"),
        ],
    },
    {
        "medication_class": "nsaid",
        "label": "NSAID (ibuprofen)",
        "examples": "Ibuprofen (Advil, Motrin); the class also includes naproxen and aspirin",
        "daily_cap_mg": 1200,
        "pregnancy_cap_mg": None,
        "breastfeeding_cap_mg": None,
        "never_above_mg": None,
        "cap_text": "At most 1,200 mg of ibuprofen in 24 hours (the over-the-counter limit).",
        "use_note": "",
        "citation": "IBU",
        "order": 2,
        "conditions": [
            ("allergy_nsaid", None, "excludes", "You are allergic to NSAIDs.", "IBU"),
            ("allergy_aspirin", None, "excludes", "You are allergic to aspirin.", "IBU"),
            ("kidney_disease", None, "approval_first", "You have kidney disease.", "IBU"),
            ("diuretic", None, "approval_first", "You take a diuretic (water tablet).", "IBU"),
            ("high_blood_pressure", None, "approval_first", "You have high blood pressure.", "IBU"),
            ("heart_disease_or_stroke", None, "approval_first", "You have heart disease or have had a stroke.", "IBU"),
            ("ulcer_or_gi_bleed", None, "approval_first", "You have had a stomach ulcer or stomach bleeding.", "IBU"),
            ("age", 60, "approval_first", "You are 60 or older.", "IBU"),
            (
                "anticoagulant",
                None,
                "approval_first",
                "You take a blood thinner (an anticoagulant or antiplatelet medicine).",
                "IBU",
            ),
            ("warfarin", None, "approval_first", "You take warfarin, a blood thinner.", "IBU"),
            ("steroid", None, "approval_first", "You take a steroid medicine.", "IBU"),
            ("asthma", None, "approval_first", "You have asthma.", "IBU"),
            ("pregnancy_weeks", 20, "approval_first", "You are 20 or more weeks pregnant.", "IBU"),
        ],
    },
    {
        "medication_class": "caffeine",
        "label": "Caffeine",
        "examples": "Coffee, tea, cola, caffeine tablets",
        "daily_cap_mg": 300,
        "pregnancy_cap_mg": 200,
        "breastfeeding_cap_mg": 300,
        "never_above_mg": 400,
        "cap_text": (
            "At most 300 mg a day from all sources (coffee, tea, cola, tablets); less than 200 mg if you are "
            "pregnant; no more than 300 mg if you are breastfeeding; never above 400 mg unless prescribed."
        ),
        "use_note": (
            "Only to treat a headache you already have that is worse sitting or standing and eases lying flat; "
            "not to prevent one."
        ),
        "citation": "FDACAF, ACOG462, PDPH23",
        "order": 3,
        "conditions": [
            (
                "arrhythmia_or_seizure",
                None,
                "approval_first",
                "You have a heart rhythm problem or a seizure disorder.",
                "FDACAF",
            ),
            (
                "high_blood_pressure",
                None,
                "approval_first",
                "You have high blood pressure (it matters most when it is not well controlled).",
                "FDACAF",
            ),
        ],
    },
]

NON_DRUG = [
    ("lying_flat", "If a headache is worse when you sit or stand, lying flat usually eases it.", "", "PDPH23", 1),
    (
        "normal_hydration",
        "Keep normally hydrated: drink as you usually do. There is no set extra amount to drink.",
        "fluid_restriction",
        "COCHRANE_PF",
        2,
    ),
    ("heat_or_ice", "Heat or an ice pack on your lower back can ease soreness.", "", "LEAFLETS", 3),
    (
        "no_heavy_lifting",
        "Avoid heavy lifting and strenuous exercise for 24 to 48 hours after the procedure.",
        "",
        "LEAFLETS",
        4,
    ),
]

THRESHOLDS = [
    ("fever_c", "38.00", "°C", "Fever: a temperature at or above this (100.4 °F). Drawn on the chart.", "LEAFLETS"),
    ("severe_pain", "7.00", "points", "Severe pain on the 0-10 scale. Drawn on the pain chart.", "PDPH23"),
    (
        "score_rise_points",
        "2.00",
        "points",
        "A spike: a score at least this much above the lowest value of the same score in the look-back window.",
        "FARRAR",
    ),
    ("score_rise_window_hours", "24.00", "hours", "The look-back window for a spike.", "FARRAR"),
]


def seed(apps, schema_editor):
    MedicationPolicy = apps.get_model("patients", "MedicationPolicy")
    PainPlanCondition = apps.get_model("patients", "PainPlanCondition")
    NonDrugOption = apps.get_model("patients", "NonDrugOption")
    DiaryThreshold = apps.get_model("patients", "DiaryThreshold")
    for row in POLICIES:
        row = dict(row)
        conditions = row.pop("conditions")
        policy, _ = MedicationPolicy.objects.update_or_create(medication_class=row.pop("medication_class"), defaults=row)
        for factor, at_least, effect, reason, citation in conditions:
            PainPlanCondition.objects.update_or_create(
                policy=policy,
                factor=factor,
                defaults={"at_least": at_least, "effect": effect, "reason": reason, "citation": citation},
            )
    for code, text, hidden_when, citation, order in NON_DRUG:
        NonDrugOption.objects.update_or_create(
            code=code, defaults={"text": text, "hidden_when": hidden_when, "citation": citation, "order": order}
        )
    for code, value, unit, description, citation in THRESHOLDS:
        DiaryThreshold.objects.update_or_create(
            code=code, defaults={"value": value, "unit": unit, "description": description, "citation": citation}
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_medication_log_and_pain_plan_data")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
