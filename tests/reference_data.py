"""The rows the data migrations seed (alert rules, analytes and their units, the pain
plan and its drugs), made again with today's models after a transactional test
elsewhere in the suite flushed them.

The migrations' own seed functions are written for the models of their time (an
analyte's former ``si_unit``, a class's former cap): this module replays their data
onto today's tables, using the migrations' constants so the values stay one copy.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps

RETIRED_ANALYTE_FIELDS = {"si_unit", "si_factor", "back_pain_min_score", "back_pain_within_days"}
RETIRED_RULE_FIELDS = {"description", "variant_description"}  # made from the values since alerts 0004
RETIRED_POLICY_FIELDS = {"daily_cap_mg", "pregnancy_cap_mg", "breastfeeding_cap_mg", "never_above_mg", "conditions"}


def seed_alert_rules() -> None:
    from alerts.models import AlertRule

    seeded = import_module("alerts.migrations.0002_seed_rules")
    for order, row in enumerate(seeded.RULES, start=1):
        fields = {key: value for key, value in row.items() if key not in RETIRED_RULE_FIELDS}
        AlertRule.objects.get_or_create(code=row["code"], defaults={**fields, "order": order})
    per_drug = import_module("alerts.migrations.0003_medication_rules_per_drug")
    for row in per_drug.RULES:
        fields = {key: value for key, value in row.items() if key not in RETIRED_RULE_FIELDS}
        AlertRule.objects.get_or_create(code=row["code"], defaults=fields)
    for key, old in per_drug.OLD_OVER_CAP.items():
        if key not in RETIRED_RULE_FIELDS:
            AlertRule.objects.filter(code="medication_over_cap", **{key: old}).update(
                **{key: per_drug.NEW_OVER_CAP[key]}
            )
    import_module("alerts.migrations.0005_urgent_texts_start_with_the_emergency_instruction").forwards(apps, None)
    import_module("alerts.migrations.0007_rules_of_2026_12_05").seed(apps, None)


def seed_analytes() -> None:
    from labs.models import Analyte, AnalyteUnit

    seeded = import_module("labs.migrations.0002_seed_analytes")
    changed = import_module("labs.migrations.0003_units_required_and_lab_alerts")
    for row in seeded.ANALYTES:
        fields = {key: value for key, value in row.items() if key != "code" and key not in RETIRED_ANALYTE_FIELDS}
        analyte, created = Analyte.objects.get_or_create(code=row["code"], defaults=fields)
        if created and row.get("si_unit"):
            AnalyteUnit.objects.create(
                analyte=analyte, unit=row["si_unit"], factor=row["si_factor"], shown_alongside=True, order=1
            )
    for code, unit, factor, alongside in changed.OTHER_UNITS:
        AnalyteUnit.objects.get_or_create(
            analyte=Analyte.objects.get(code=code),
            unit=unit,
            defaults={"factor": factor, "shown_alongside": alongside, "order": 2},
        )
    for code, seeded_trigger, trigger in changed.TRIGGERS:
        Analyte.objects.filter(code=code, review_when=seeded_trigger).update(review_when=trigger)
    for analyte in Analyte.objects.filter(explanation__contains=changed.REASSURING):
        analyte.explanation = analyte.explanation.replace(changed.REASSURING, changed.NEUTRAL)
        analyte.save(update_fields=["explanation"])
    import_module("labs.migrations.0005_fhir_codes_and_received_reports").seed(apps, None)


def seed_pain_plan() -> None:
    from patients.models import MedicationPolicy, NonDrugOption, PainPlanCondition

    plan = import_module("patients.migrations.0003_seed_pain_plan_and_thresholds")
    for row in plan.POLICIES:
        fields = {key: value for key, value in row.items() if key not in RETIRED_POLICY_FIELDS}
        policy, _ = MedicationPolicy.objects.get_or_create(
            medication_class=fields.pop("medication_class"), defaults=fields
        )
        for factor, at_least, effect, reason, citation in row["conditions"]:
            PainPlanCondition.objects.get_or_create(
                policy=policy,
                factor=factor,
                defaults={"at_least": at_least, "effect": effect, "reason": reason, "citation": citation},
            )
    for code, text, hidden_when, citation, order in plan.NON_DRUG:
        NonDrugOption.objects.get_or_create(
            code=code, defaults={"text": text, "hidden_when": hidden_when, "citation": citation, "order": order}
        )
    import_module("patients.migrations.0004_drugs_with_their_own_limits").seed_drugs(apps, None)


def seed_reference_data() -> None:
    seed_alert_rules()
    seed_analytes()
    seed_pain_plan()
