"""The medication rules of CLINICAL.md section 5 (changed on 2026-12-05): besides the
daily cap, two different NSAIDs within 24 hours ("do not combine") and a total above
the absolute maximum (urgent, with the Poison Control text). The numbers are the
drugs' (``patients.Drug``); the words here are filled with them when a dose fires:
``{drug}``, ``{other_drug}``, ``{total_mg}``, ``{cap_mg}``, ``{never_above_mg}``, and
``{emergency_number}`` from the clinic's settings whenever the text is shown."""

from django.db import migrations

CONTACT_ACTION = "Contact your care team today."

OLD_OVER_CAP = {
    "description": "Doses of one medication class in 24 h add up to its daily cap or more.",
    "patient_message": (
        f"Your doses in the last 24 hours have reached the daily limit in your pain plan. {CONTACT_ACTION}"
    ),
    "clinician_message": "Medication log at or over the daily cap within 24 h: review today.",
}

NEW_OVER_CAP = {
    "description": "Doses of one drug in 24 h add up to its daily cap (the drug's label cap) or more.",
    "patient_message": (
        "You have logged {total_mg} mg of {drug} in 24 hours, which reaches your daily limit of {cap_mg} mg. "
        f"Do not take more {{drug}} for now. {CONTACT_ACTION}"
    ),
    "clinician_message": "Medication log: {total_mg} mg of {drug} in 24 h, at or over its cap of {cap_mg} mg: "
    "review today.",
}

RULES = [
    {
        "code": "medication_above_maximum",
        "summary": "Medication log above the absolute maximum",
        "kind": "medication",
        "description": "Doses of one drug in 24 h add up to more than its absolute maximum (the drug's "
        "never-above limit).",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": (
            "Call Poison Control (1-800-222-1222 in the US) or {emergency_number} now, even if you feel well. "
            "You have logged {total_mg} mg of {drug} in 24 hours, more than the absolute maximum of "
            "{never_above_mg} mg. Do not take any more."
        ),
        "clinician_message": "Medication log: {total_mg} mg of {drug} in 24 h, above the absolute maximum of "
        "{never_above_mg} mg. The patient was told to call Poison Control now.",
        "citation_key": "APAP",
        "order": 22,
    },
    {
        "code": "medication_nsaid_combination",
        "summary": "Two different NSAIDs within 24 hours",
        "kind": "medication",
        "description": "Two different NSAIDs (for example ibuprofen and naproxen) logged within 24 h of each other.",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": (
            "You have logged two different NSAIDs within 24 hours ({other_drug} and {drug}). Do not combine them: "
            f"take no more of either until you have spoken with your care team. {CONTACT_ACTION}"
        ),
        "clinician_message": "Medication log: two different NSAIDs within 24 h ({other_drug}, {drug}): review today.",
        "citation_key": "IBU",
        "order": 23,
    },
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for row in RULES:
        AlertRule.objects.get_or_create(code=row["code"], defaults=row)
    # The cap rule now names the drug and its numbers, unless an admin has reworded it.
    for key, old in OLD_OVER_CAP.items():
        AlertRule.objects.filter(code="medication_over_cap", **{key: old}).update(**{key: NEW_OVER_CAP[key]})


def unseed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for key, new in NEW_OVER_CAP.items():
        AlertRule.objects.filter(code="medication_over_cap", **{key: new}).update(**{key: OLD_OVER_CAP[key]})
    # The new rules stay when alerts point at them (PROTECT); unused ones go.
    AlertRule.objects.filter(code__in=[row["code"] for row in RULES], alerts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_seed_rules")]

    operations = [migrations.RunPython(seed, unseed)]
