"""The alert rules of CLINICAL.md of 2026-12-05 (sections 2 and 3), as data:

* each rule's thresholds follow its schema (``alerts.parameters``); the seeded values
  become ``last_valid_thresholds``, what the engine uses while a row fails its schema;
* ``description`` is made from the values, so the stored copies go, and the words that
  carried a number ("two weeks", "within 24 h") name the value instead;
* new rules ``seizure``, ``rash`` and ``neck_stiffness`` (stiff neck alone);
* ``not_improving_72h`` compares with the first 48 h of logging (``baseline_hours``,
  was ``baseline_last_day``) and, like ``late_back_pain``, is raised again after its
  alert is resolved (``rearm_after_hours``);
* one alert per entry lists every rule that fired (``AlertFiring``): each alert so
  far becomes one with a firing of its own rule.

Every rewording applies only to the seeded words: an admin's own are kept.
"""

from django.db import migrations

EMERGENCY = "This needs medical attention now. Call {emergency_number} or go to the nearest emergency department."
CONTACT_ACTION = "Contact your care team today."

NEW_RULES = [
    {
        "code": "seizure",
        "summary": "Seizure reported",
        "kind": "instant",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": f"{EMERGENCY} You reported a fit or seizure.",
        "clinician_message": "Seizure reported after lumbar puncture: urgent assessment.",
        "citation_key": "UKMEN",
    },
    {
        "code": "rash",
        "summary": "Rash that does not fade reported",
        "kind": "instant",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": f"{EMERGENCY} You reported spots or bruise-like marks that do not fade under a glass.",
        "clinician_message": "Non-blanching rash reported (with or without fever): urgent assessment.",
        "citation_key": "UKMEN",
    },
    {
        "code": "neck_stiffness",
        "summary": "Stiff neck reported",
        "kind": "instant",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": (
            f"You reported a stiff neck. {CONTACT_ACTION} If a fever, a rash, confusion or a severe headache "
            "comes with it, call {emergency_number} now."
        ),
        "clinician_message": "Neck stiffness without fever reported: review today.",
        "citation_key": "UKMEN",
    },
]

# The table order of CLINICAL.md (instant rules, then pattern rules).
ORDER = [
    "fever", "fever_red_flag", "seizure", "rash", "neck_stiffness", "neuro_deficit", "confusion",
    "atypical_headache", "anticoagulated_back_pain", "site_infection", "radiating_leg_pain",
    "severe_positional_headache", "positional_headache", "severe_pain", "score_rise", "vomiting", "fever_masked",
    "rising_fever", "new_weakness", "not_improving_72h", "late_back_pain", "missed_checkin",
]  # fmt: skip

# CLINICAL.md's values: the engine's fallback (``last_valid_thresholds``).
SEEDED = {
    "fever": {"temperature_c": 38.0, "first_day": 0, "last_day": 21},
    "fever_red_flag": {"pain_score": 7},
    "atypical_headache": {"headache": 4, "after_day": 5},
    "anticoagulated_back_pain": {"back_pain": 7},
    "severe_positional_headache": {"headache": 7},
    "severe_pain": {"pain_score": 7, "after_day": 2},
    "score_rise": {"rise": 2, "window_hours": 24},
    "fever_masked": {"temperature_c": 37.5},
    "rising_fever": {"window_hours": 48, "last_temperature_c": 37.5},
    "not_improving_72h": {"after_hours": 72, "pain_score": 4, "baseline_hours": 48, "rearm_after_hours": 24},
    "late_back_pain": {"back_pain": 3, "after_day": 14, "rearm_after_hours": 24},
    "missed_checkin": {"gap_hours": 24, "last_day": 3},
}

# (code, field, seeded words, words that name the value)
REWORDED = [
    (
        "fever",
        "clinician_message",
        "Temperature at or above the fever threshold within 3 weeks of the lumbar puncture: review today.",
        "Temperature at or above the fever threshold by day {last_day} after the lumbar puncture: review today.",
    ),
    (
        "atypical_headache",
        "clinician_message",
        "Headache without a positional pattern after day 5: review today.",
        "Headache without a positional pattern after day {after_day}: review today.",
    ),
    (
        "severe_pain",
        "patient_message",
        f"You reported severe pain more than two days after your procedure. {CONTACT_ACTION}",
        f"You reported severe pain more than {{after_day}} days after your procedure. {CONTACT_ACTION}",
    ),
    (
        "severe_pain",
        "clinician_message",
        "Severe pain after day 2: review today.",
        "Severe pain after day {after_day}: review today.",
    ),
    (
        "score_rise",
        "patient_message",
        f"Your pain score has gone up compared with the last day. {CONTACT_ACTION}",
        f"Your pain score has gone up compared with the last {{window_hours}} hours. {CONTACT_ACTION}",
    ),
    (
        "score_rise",
        "clinician_message",
        "Pain score rose by a clinically important amount within 24 h: review today.",
        "Pain score rose by a clinically important amount within {window_hours} h: review today.",
    ),
    (
        "rising_fever",
        "clinician_message",
        "Temperature rising over three consecutive readings within 48 h: review today.",
        "Temperature rising over three consecutive readings within {window_hours} h: review today.",
    ),
    (
        "not_improving_72h",
        "patient_message",
        f"Your pain has not eased three days after your procedure. {CONTACT_ACTION}",
        f"Your pain has not eased {{after_hours}} hours after your procedure. {CONTACT_ACTION}",
    ),
    (
        "not_improving_72h",
        "clinician_message",
        "Pain not improving 72 h after the procedure: consider review.",
        "Pain not improving {after_hours} h after the procedure: consider review.",
    ),
    (
        "not_improving_72h",
        "variant_clinician_message",
        "Positional headache not improving 72 h after the procedure: consider anesthesiology review.",
        "Positional headache not improving {after_hours} h after the procedure: consider anesthesiology review.",
    ),
    (
        "late_back_pain",
        "patient_message",
        f"You reported back pain more than two weeks after your procedure. {CONTACT_ACTION}",
        f"You reported back pain more than {{after_day}} days after your procedure. {CONTACT_ACTION}",
    ),
    (
        "late_back_pain",
        "clinician_message",
        "Back pain more than 14 days after the procedure: review today.",
        "Back pain more than {after_day} days after the procedure: review today.",
    ),
    (
        "late_back_pain",
        "variant_patient_message",
        "You reported back pain and a fever more than two weeks after your procedure. ",
        "You reported back pain and a fever more than {after_day} days after your procedure. ",
    ),
    (
        "late_back_pain",
        "variant_clinician_message",
        "Back pain with fever more than 14 days after the procedure: urgent assessment.",
        "Back pain with fever more than {after_day} days after the procedure: urgent assessment.",
    ),
    (
        "missed_checkin",
        "clinician_message",
        "Reminder sent to the patient: no diary entry for a day.",
        "Reminder sent to the patient: no diary entry for {gap_hours} hours.",
    ),
]


def _reword(AlertRule, forward: bool) -> None:
    for code, field, seeded, named in REWORDED:
        old, new = (seeded, named) if forward else (named, seeded)
        for rule in AlertRule.objects.filter(code=code):
            text = getattr(rule, field)
            # The sentence itself: the urgent words around it changed in 0005 (and may again).
            if old.strip() in text:
                setattr(rule, field, text.replace(old.strip(), new.strip()))
                rule.save(update_fields=[field])


def _thresholds(rule_thresholds, code: str) -> dict:
    values = dict(rule_thresholds) if isinstance(rule_thresholds, dict) else {}
    if code == "not_improving_72h":
        last_day = values.pop("baseline_last_day", 1)
        if isinstance(last_day, int | float) and not isinstance(last_day, bool):
            values.setdefault("baseline_hours", int((last_day + 1) * 24))
        values.setdefault("rearm_after_hours", 24)
    if code == "late_back_pain":
        values.setdefault("rearm_after_hours", 24)
    return values


def seed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for row in NEW_RULES:
        AlertRule.objects.get_or_create(code=row["code"], defaults=row)
    for order, code in enumerate(ORDER, start=1):
        AlertRule.objects.filter(code=code).update(order=order)
    for rule in AlertRule.objects.filter(code__in=["not_improving_72h", "late_back_pain"]):
        rule.thresholds = _thresholds(rule.thresholds, rule.code)
        rule.save(update_fields=["thresholds"])
    for code, values in SEEDED.items():
        AlertRule.objects.filter(code=code).update(last_valid_thresholds=values)
    _reword(AlertRule, forward=True)


def firings_for_past_alerts(apps, schema_editor):
    Alert = apps.get_model("alerts", "Alert")
    AlertFiring = apps.get_model("alerts", "AlertFiring")
    batch = []
    for alert in Alert.objects.order_by("id").values("id", "rule_id", "severity", "dedup_key", "created_at").iterator():
        batch.append(
            AlertFiring(
                alert_id=alert["id"],
                rule_id=alert["rule_id"],
                severity=alert["severity"],
                dedup_key=alert["dedup_key"],
                fired_at=alert["created_at"],
            )
        )
        if len(batch) >= 2000:
            AlertFiring.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    AlertFiring.objects.bulk_create(batch, ignore_conflicts=True)


def unseed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    apps.get_model("alerts", "AlertFiring").objects.all().delete()
    _reword(AlertRule, forward=False)
    for rule in AlertRule.objects.filter(code="not_improving_72h"):
        values = dict(rule.thresholds) if isinstance(rule.thresholds, dict) else {}
        hours = values.pop("baseline_hours", 48)
        values.pop("rearm_after_hours", None)
        values["baseline_last_day"] = max(0, int(hours) // 24 - 1) if isinstance(hours, int | float) else 1
        rule.thresholds = values
        rule.save(update_fields=["thresholds"])
    for rule in AlertRule.objects.filter(code="late_back_pain"):
        values = dict(rule.thresholds) if isinstance(rule.thresholds, dict) else {}
        values.pop("rearm_after_hours", None)
        rule.thresholds = values
        rule.save(update_fields=["thresholds"])
    AlertRule.objects.filter(code__in=[row["code"] for row in NEW_RULES], alerts__isnull=True).delete()


def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("alerts", "0006_rule_parameters_and_firings")]

    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(firings_for_past_alerts, nothing),
    ]
