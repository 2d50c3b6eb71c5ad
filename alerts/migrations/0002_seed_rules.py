"""Seed the alert rules of CLINICAL.md sections 2 and 3 (and the medication cap of
section 5). Every clinical number is here, as data; admins edit the rows later."""

from django.db import migrations

URGENT_ACTION = (
    "Seek urgent care now (call your emergency number if you cannot reach us). Your care team has been alerted."
)
CONTACT_ACTION = "Contact your care team today."

RULES = [
    # --- Section 2: evaluated on each entry -------------------------------------------
    {
        "code": "fever",
        "summary": "Fever reported",
        "kind": "instant",
        "description": "Temperature at or above 38.0 °C (100.4 °F) on day 0-21 after the procedure.",
        "severity": "contact_provider",
        "thresholds": {"temperature_c": 38.0, "first_day": 0, "last_day": 21},
        "adjustable_threshold": "temperature_c",
        "threshold_min": 37.0,
        "threshold_max": 40.0,
        "patient_message": f"Your temperature is {{temperature}}, which counts as a fever after a lumbar puncture. {CONTACT_ACTION}",
        "clinician_message": "Temperature at or above the fever threshold within 3 weeks of the lumbar puncture: review today.",
        "citation_key": "LEAFLETS",
    },
    {
        "code": "fever_red_flag",
        "summary": "Fever with a red-flag symptom reported",
        "kind": "instant",
        "description": (
            "Fever and any of: neck stiffness, confusion, repeated vomiting, headache >= 7 without a positional "
            "pattern, back pain >= 7, redness or drainage at the puncture site."
        ),
        "severity": "urgent",
        "thresholds": {"pain_score": 7},
        "adjustable_threshold": "pain_score",
        "threshold_min": 4,
        "threshold_max": 10,
        "patient_message": f"You reported a fever together with another warning sign. {URGENT_ACTION}",
        "clinician_message": "Fever with a red-flag symptom after lumbar puncture: urgent assessment.",
        "citation_key": "UKMEN",
    },
    {
        "code": "neuro_deficit",
        "summary": "New neurological symptom reported",
        "kind": "instant",
        "description": "Numbness, leg weakness or a new change in bladder or bowel control.",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": (
            f"You reported numbness, leg weakness or a change in bladder or bowel control. {URGENT_ACTION}"
        ),
        "clinician_message": "New neurological symptom reported after lumbar puncture: urgent assessment.",
        "citation_key": "BODILSEN",
    },
    {
        "code": "confusion",
        "summary": "Confusion or drowsiness reported",
        "kind": "instant",
        "description": "Drowsy, hard to wake or confused.",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": f"You reported being drowsy, hard to wake or confused. {URGENT_ACTION}",
        "clinician_message": "Confusion or reduced alertness reported: urgent assessment.",
        "citation_key": "UKMEN",
    },
    {
        "code": "atypical_headache",
        "summary": "Atypical headache reported",
        "kind": "instant",
        "description": "Headache >= 4 with vision change or confusion, or headache >= 4 without a positional pattern after day 5.",
        "severity": "contact_provider",
        "thresholds": {"headache": 4, "after_day": 5},
        "adjustable_threshold": "headache",
        "threshold_min": 1,
        "threshold_max": 10,
        "patient_message": f"Your headache is not following the usual pattern after a lumbar puncture. {CONTACT_ACTION}",
        "clinician_message": "Headache without a positional pattern after day 5: review today.",
        "variant_description": "Urgent when the headache comes with vision change or confusion.",
        "variant_severity": "urgent",
        "variant_patient_message": f"You reported a headache with a change in your vision or confusion. {URGENT_ACTION}",
        "variant_clinician_message": "Headache with vision change or confusion: urgent assessment.",
        "citation_key": "ICHD3",
    },
    {
        "code": "anticoagulated_back_pain",
        "summary": "Severe back pain on a blood thinner reported",
        "kind": "instant",
        "description": "Patient on an anticoagulant or antiplatelet and back pain >= 7.",
        "severity": "urgent",
        "thresholds": {"back_pain": 7},
        "adjustable_threshold": "back_pain",
        "threshold_min": 3,
        "threshold_max": 10,
        "patient_message": f"You take a blood thinner and reported severe back pain. {URGENT_ACTION}",
        "clinician_message": "Severe back pain in a patient on an anticoagulant or antiplatelet: urgent assessment.",
        "citation_key": "BODILSEN",
    },
    {
        "code": "site_infection",
        "summary": "Puncture-site problem reported",
        "kind": "instant",
        "description": "Redness, warmth, swelling or drainage at the puncture site (without fever).",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": f"You reported redness, swelling or fluid at the puncture site. {CONTACT_ACTION}",
        "clinician_message": "Puncture-site redness or drainage reported: review today.",
        "citation_key": "LEAFLETS",
    },
    {
        "code": "radiating_leg_pain",
        "summary": "Radiating leg pain reported",
        "kind": "instant",
        "description": "Pain spreading down a leg (without numbness, weakness or a bladder or bowel change).",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": f"You reported pain spreading down your leg. {CONTACT_ACTION}",
        "clinician_message": "Radiating leg pain reported (no deficit reported): review today.",
        "citation_key": "LEAFLETS",
    },
    {
        "code": "severe_positional_headache",
        "summary": "Severe positional headache reported",
        "kind": "instant",
        "description": "Positional headache with headache >= 7.",
        "severity": "contact_provider",
        "thresholds": {"headache": 7},
        "adjustable_threshold": "headache",
        "threshold_min": 4,
        "threshold_max": 10,
        "patient_message": (
            "You reported a severe headache that is worse sitting or standing. Lying flat may ease it. "
            f"{CONTACT_ACTION}"
        ),
        "clinician_message": "Severe positional headache: review today; consider anesthesiology review.",
        "citation_key": "PDPH23",
    },
    {
        "code": "positional_headache",
        "summary": "Positional headache reported",
        "kind": "instant",
        "description": "Positional headache below the severe_positional_headache threshold (self-care).",
        "severity": "info",
        "thresholds": {},
        "patient_message": (
            "A headache that is worse sitting or standing and eases lying flat is common after a lumbar puncture. "
            "Lying flat relieves it. Keep normally hydrated. Caffeine is an option only as your pain plan allows. "
            "Tell your care team if it becomes severe."
        ),
        "clinician_message": "Mild positional headache: self-care information given.",
        "citation_key": "PDPH23",
    },
    {
        "code": "severe_pain",
        "summary": "Severe pain reported",
        "kind": "instant",
        "description": "Back pain >= 7 or headache >= 7 after day 2.",
        "severity": "contact_provider",
        "thresholds": {"pain_score": 7, "after_day": 2},
        "adjustable_threshold": "pain_score",
        "threshold_min": 4,
        "threshold_max": 10,
        "patient_message": f"You reported severe pain more than two days after your procedure. {CONTACT_ACTION}",
        "clinician_message": "Severe pain after day 2: review today.",
        "citation_key": "LEAFLETS",
    },
    {
        "code": "score_rise",
        "summary": "Pain score rising",
        "kind": "instant",
        "description": "Back pain or headache at least 2 points above the lowest value of the same field in the previous 24 h.",
        "severity": "contact_provider",
        "thresholds": {"rise": 2, "window_hours": 24},
        "adjustable_threshold": "rise",
        "threshold_min": 1,
        "threshold_max": 10,
        "patient_message": f"Your pain score has gone up compared with the last day. {CONTACT_ACTION}",
        "clinician_message": "Pain score rose by a clinically important amount within 24 h: review today.",
        "citation_key": "FARRAR",
    },
    {
        "code": "vomiting",
        "summary": "Repeated vomiting reported",
        "kind": "instant",
        "description": "Repeated vomiting (without fever).",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": f"You reported repeated vomiting. {CONTACT_ACTION}",
        "clinician_message": "Repeated vomiting reported: review today.",
        "citation_key": "UKMEN",
    },
    {
        "code": "fever_masked",
        "summary": "Possibly masked fever reported",
        "kind": "instant",
        "description": "Took a fever reducer in the last 6 hours and temperature >= 37.5 °C.",
        "severity": "info",
        "thresholds": {"temperature_c": 37.5},
        "adjustable_threshold": "temperature_c",
        "threshold_min": 36.5,
        "threshold_max": 38.5,
        "patient_message": (
            "You took a fever reducer in the last 6 hours, so your temperature may be higher than it reads. "
            "Check it again later and record it."
        ),
        "clinician_message": "Temperature near the fever threshold after a fever reducer: a fever may be masked.",
        "citation_key": "LEAFLETS",
    },
    # --- Section 3: pattern rules (the scheduled scan) ---------------------------------
    {
        "code": "rising_fever",
        "summary": "Temperature rising over three readings",
        "kind": "pattern",
        "description": "Three consecutive temperature readings, each higher than the last, within 48 h, the last >= 37.5 °C.",
        "severity": "contact_provider",
        "thresholds": {"window_hours": 48, "last_temperature_c": 37.5},
        "adjustable_threshold": "last_temperature_c",
        "threshold_min": 37.0,
        "threshold_max": 39.0,
        "patient_message": f"Your temperature has gone up in each of your last three readings. {CONTACT_ACTION}",
        "clinician_message": "Temperature rising over three consecutive readings within 48 h: review today.",
        "citation_key": "UKMEN",
    },
    {
        "code": "new_weakness",
        "summary": "New weakness or numbness reported",
        "kind": "pattern",
        "description": "Leg weakness or numbness reported after an earlier entry without it.",
        "severity": "urgent",
        "thresholds": {},
        "patient_message": f"You reported numbness or leg weakness that you did not report before. {URGENT_ACTION}",
        "clinician_message": "New leg weakness or numbness since the previous entry: urgent assessment.",
        "citation_key": "BODILSEN",
    },
    {
        "code": "not_improving_72h",
        "summary": "Pain not improving at 72 hours",
        "kind": "pattern",
        "description": (
            "At >= 72 h after the procedure, headache or back pain >= 4 and not lower than the highest value of day 0-1."
        ),
        "severity": "contact_provider",
        "thresholds": {"after_hours": 72, "pain_score": 4, "baseline_last_day": 1},
        "adjustable_threshold": "pain_score",
        "threshold_min": 1,
        "threshold_max": 10,
        "patient_message": f"Your pain has not eased three days after your procedure. {CONTACT_ACTION}",
        "clinician_message": "Pain not improving 72 h after the procedure: consider review.",
        "variant_description": "A persisting positional headache.",
        "variant_severity": "contact_provider",
        "variant_clinician_message": "Positional headache not improving 72 h after the procedure: consider anesthesiology review.",
        "citation_key": "PDPH23",
    },
    {
        "code": "late_back_pain",
        "summary": "Late back pain reported",
        "kind": "pattern",
        "description": "Back pain >= 3 on an entry after day 14 (urgent with fever).",
        "severity": "contact_provider",
        "thresholds": {"back_pain": 3, "after_day": 14},
        "adjustable_threshold": "back_pain",
        "threshold_min": 1,
        "threshold_max": 10,
        "patient_message": f"You reported back pain more than two weeks after your procedure. {CONTACT_ACTION}",
        "clinician_message": "Back pain more than 14 days after the procedure: review today.",
        "variant_description": "Urgent with fever.",
        "variant_severity": "urgent",
        "variant_patient_message": (
            f"You reported back pain and a fever more than two weeks after your procedure. {URGENT_ACTION}"
        ),
        "variant_clinician_message": "Back pain with fever more than 14 days after the procedure: urgent assessment.",
        "citation_key": "IDSA15",
    },
    {
        "code": "missed_checkin",
        "summary": "Diary check-in missed",
        "kind": "pattern",
        "description": "No entry for 24 h during day 0-3: a reminder to the patient (no clinician item).",
        "severity": "info",
        "thresholds": {"gap_hours": 24, "last_day": 3},
        "adjustable_threshold": "gap_hours",
        "threshold_min": 6,
        "threshold_max": 72,
        "patient_message": "Please add today's entry to your symptom diary so your care team can follow your recovery.",
        "clinician_message": "Reminder sent to the patient: no diary entry for a day.",
        "citation_key": "LEAFLETS",
    },
    # --- Section 5: the medication log ------------------------------------------------
    {
        "code": "medication_over_cap",
        "summary": "Medication log at the daily cap",
        "kind": "medication",
        "description": "Doses of one medication class in 24 h add up to its daily cap or more.",
        "severity": "contact_provider",
        "thresholds": {},
        "patient_message": (
            f"Your doses in the last 24 hours have reached the daily limit in your pain plan. {CONTACT_ACTION}"
        ),
        "clinician_message": "Medication log at or over the daily cap within 24 h: review today.",
        "citation_key": "APAP",
    },
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    for order, row in enumerate(RULES, start=1):
        AlertRule.objects.update_or_create(code=row["code"], defaults={**row, "order": order})


def unseed(apps, schema_editor):
    # Rules referenced by alerts are protected; a reverse migration keeps those.
    pass


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
