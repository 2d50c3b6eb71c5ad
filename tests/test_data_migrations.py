"""The data steps of issue 13's migrations, run on rows as the previous schema held them:
existing doses get their drug and edited caps survive (patients 0004); analytes get
their units and triggers, and a computed glucose ratio is recomputed and flagged on
its exact value (labs 0003)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management.color import no_style
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def migrate(*targets):
    executor = MigrationExecutor(connection)
    return executor.migrate(list(targets)).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.migrate(executor.loader.graph.leaf_nodes()).apps


def test_doses_get_their_drug_and_edited_caps_survive():
    patient = PatientFactory()
    old = migrate(("patients", "0003_seed_pain_plan_and_thresholds"))
    MedicationPolicy = old.get_model("patients", "MedicationPolicy")
    MedicationDose = old.get_model("patients", "MedicationDose")
    MedicationPolicy.objects.filter(medication_class="nsaid").update(daily_cap_mg=800)  # an admin's edit
    for medication_class in ("acetaminophen", "nsaid", "caffeine"):
        MedicationDose.objects.create(
            patient_id=patient.pk, medication_class=medication_class, dose_mg=200, taken_at=AT
        )

    new = migrate_to_latest()
    Drug = new.get_model("patients", "Drug")
    doses = new.get_model("patients", "MedicationDose").objects.filter(patient_id=patient.pk)
    assert {d.medication_class: d.drug.code for d in doses.select_related("drug")} == {
        "acetaminophen": "acetaminophen",
        "nsaid": "ibuprofen",  # the only NSAID the log knew: its cap was ibuprofen's
        "caffeine": "caffeine",
    }
    caps = dict(Drug.objects.values_list("code", "daily_cap_mg"))
    assert caps == {
        "acetaminophen": 3000,
        "acetaminophen_325": 3250,
        "ibuprofen": 800,
        "naproxen": 660,
        "caffeine": 300,
    }
    assert Drug.objects.get(code="acetaminophen").never_above_mg == 4000
    nsaid = new.get_model("patients", "MedicationPolicy").objects.get(medication_class="nsaid")
    assert "Do not combine" in nsaid.cap_text


def test_analytes_get_units_and_triggers_and_a_rounded_ratio_is_flagged_exactly():
    patient, clinician = PatientFactory(), ClinicianFactory()
    old = migrate(("labs", "0002_seed_analytes"))
    Analyte = old.get_model("labs", "Analyte")
    LabReport = old.get_model("labs", "LabReport")
    LabValue = old.get_model("labs", "LabValue")
    analyte = {a.code: a for a in Analyte.objects.all()}
    report = LabReport.objects.create(
        patient_id=patient.pk,
        kind="csf",
        collected_at=AT,
        uploaded_by_id=clinician.pk,
        content_type="text/plain",
        size=1,
    )
    for code, value in (("csf_glucose", "59.5"), ("serum_glucose", "100")):
        LabValue.objects.create(report=report, analyte=analyte[code], value=Decimal(value), unit="mg/dL", flag="normal")
    # As the old code stored it: rounded to 0.60 first, then flagged "normal".
    LabValue.objects.create(
        report=report,
        analyte=analyte["csf_serum_glucose_ratio"],
        value=Decimal("0.60"),
        unit="ratio",
        ref_low=Decimal("0.6"),
        ref_borderline_low=Decimal("0.4"),
        range_source="default",
        flag="normal",
        computed=True,
    )

    new = migrate_to_latest()
    ratio = new.get_model("labs", "LabValue").objects.get(report_id=report.pk, analyte__code="csf_serum_glucose_ratio")
    assert (ratio.value, ratio.flag) == (Decimal("0.5950"), "low")  # borderline, from 59.5 / 100
    analytes = {a.code: a for a in new.get_model("labs", "Analyte").objects.prefetch_related("other_units")}
    assert analytes["crp"].review_when == analytes["esr"].review_when == "high"
    assert analytes["csf_glucose"].review_when == "low_without_blood_glucose"
    assert analytes["opening_pressure"].review_when == "outside"
    units = {code: {(u.unit, u.factor) for u in a.other_units.all()} for code, a in analytes.items()}
    assert units["csf_protein"] == {("g/L", Decimal("100"))}
    assert units["crp"] == {("mg/dL", Decimal("10"))}
    assert units["opening_pressure"] == {("cmH₂O", Decimal("10"))}
    assert "reassur" not in analytes["csf_wbc"].explanation


def test_rules_get_their_schema_fallback_and_words_and_past_alerts_their_firings():
    """alerts 0004: the seeded values become the fallback, not_improving_72h's baseline is
    counted in hours, the state rules re-arm, the words name the values (an admin's own
    words are kept) and each past alert lists its own rule."""
    patient = PatientFactory()
    migrate(("alerts", "0003_medication_rules_per_drug"), ("patients", "0005_seal_diary_notes"))
    old = migrate(("alerts", "0003_medication_rules_per_drug"))  # (the state of one target is exact)
    AlertRule = old.get_model("alerts", "AlertRule")
    Alert = old.get_model("alerts", "Alert")
    AlertRule.objects.filter(code="late_back_pain").update(clinician_message="Our own words: call the patient.")
    AlertRule.objects.filter(code="fever").update(thresholds={"temperature_c": 45, "first_day": 0, "last_day": 21})
    rule = AlertRule.objects.get(code="neuro_deficit")
    alert = Alert.objects.create(
        patient_id=patient.pk, rule=rule, severity="urgent", message="m", dedup_key="p1:neuro_deficit:e1", created_at=AT
    )
    # Rows restored by another test's serialized rollback keep their ids but not the id
    # sequence: the migration's new rules need the sequence past them, as in a real database.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [AlertRule]):
            cursor.execute(statement)

    new = migrate_to_latest()
    rules = {r.code: r for r in new.get_model("alerts", "AlertRule").objects.all()}
    assert {"seizure", "rash", "neck_stiffness"} <= rules.keys()
    assert rules["not_improving_72h"].thresholds == {
        "after_hours": 72,
        "pain_score": 4,
        "baseline_hours": 48,
        "rearm_after_hours": 24,
    }
    assert rules["late_back_pain"].thresholds["rearm_after_hours"] == 24
    assert rules["late_back_pain"].clinician_message == "Our own words: call the patient."
    assert "{after_day} days after your procedure" in rules["late_back_pain"].patient_message
    assert rules["fever"].last_valid_thresholds == {"temperature_c": 38.0, "first_day": 0, "last_day": 21}
    assert rules["fever"].thresholds["temperature_c"] == 45  # kept, and not used: the engine falls back
    firing = new.get_model("alerts", "AlertFiring").objects.get(alert_id=alert.pk)
    assert (firing.rule_id, firing.severity, firing.dedup_key) == (rule.pk, "urgent", "p1:neuro_deficit:e1")
    entry_fields = {f.name for f in new.get_model("patients", "SymptomEntry")._meta.get_fields()}
    assert {"seizure", "rash"} <= entry_fields


def test_alerts_point_at_their_items_and_a_patients_open_alert_items_become_one():
    """alerts 0009 (issue 16): each alert points at the item it was posted to; a
    patient's open alert items merge into the first (the highest priority, the earliest
    due time, the status that still needs a look); a done item stays as it was."""
    patient, other, clinician = PatientFactory(), PatientFactory(), ClinicianFactory()
    old = migrate(("alerts", "0008_alert_inbox_item"))
    Alert = old.get_model("alerts", "Alert")
    AlertRule = old.get_model("alerts", "AlertRule")
    InboxItem = old.get_model("messaging", "InboxItem")
    rule = AlertRule.objects.get(code="fever")

    def posted(who, n, *, priority, status, due_hours, assignee=None):
        alert = Alert.objects.create(
            patient_id=who.pk, rule=rule, severity="contact_provider", message="m", dedup_key=f"k{who.pk}:{n}"
        )
        item = InboxItem.objects.create(
            kind="alert",
            patient_id=who.pk,
            priority=priority,
            priority_rank={"urgent": 0, "high": 1, "normal": 2}[priority],
            status=status,
            assignee_id=assignee,
            due_at=AT + timedelta(hours=due_hours),
            created_at=AT + timedelta(minutes=n),
            summary=f"Alert {n}",
            source_type="alerts.alert",
            source_id=str(alert.pk),
        )
        return alert, item

    a1, first = posted(patient, 1, priority="high", status="in_progress", due_hours=4, assignee=clinician.pk)
    a2, _ = posted(patient, 2, priority="urgent", status="new", due_hours=1)
    a3, _ = posted(patient, 3, priority="high", status="waiting", due_hours=3)
    a4, done = posted(other, 4, priority="high", status="done", due_hours=4)

    new = migrate_to_latest()
    Alert = new.get_model("alerts", "Alert")
    InboxItem = new.get_model("messaging", "InboxItem")
    assert set(Alert.objects.filter(pk__in=[a1.pk, a2.pk, a3.pk]).values_list("inbox_item_id", flat=True)) == {first.pk}
    assert Alert.objects.get(pk=a4.pk).inbox_item_id == done.pk
    (kept,) = InboxItem.objects.filter(kind="alert", patient_id=patient.pk)
    assert (kept.pk, kept.priority, kept.status, kept.assignee_id) == (first.pk, "urgent", "new", clinician.pk)
    assert kept.due_at == AT + timedelta(hours=1)
    assert InboxItem.objects.get(pk=done.pk).status == "done"
