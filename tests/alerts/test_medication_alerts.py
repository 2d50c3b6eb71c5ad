"""The alerts app's side of the medication log: the handler it registers words the
findings from the medication rules (data) and raises one alert per dose and severity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRule
from alerts.services import raise_dose_alerts, recommend_for_dose
from messaging.models import InboxItem
from patients.medication_alerts import ABOVE_MAXIMUM, NSAID_COMBINATION, OVER_CAP, DoseFindings
from patients.models import Drug, MedicationDose
from portal.outbox.models import Notification


@pytest.fixture
def dose(patient):
    return MedicationDose.objects.create(
        patient=patient,
        medication_class="acetaminophen",
        drug=Drug.objects.get(code="acetaminophen"),
        dose_mg=1000,
        taken_at=timezone.now() - timedelta(hours=1),
    )


def findings(dose, *rules, total=5000):
    return DoseFindings(
        dose=dose, rules=rules, drug="acetaminophen", total_24h_mg=total, cap_mg=3000, never_above_mg=4000
    )


def test_every_medication_rule_is_seeded_with_words_and_a_citation(db):
    for code in (ABOVE_MAXIMUM, NSAID_COMBINATION, OVER_CAP):
        rule = AlertRule.objects.get(code=code)
        assert rule.kind == "medication" and rule.enabled and rule.citation_key
        assert rule.patient_message and rule.clinician_message


def test_above_the_maximum_is_urgent_and_starts_with_poison_control(dose, clinician):
    answer = raise_dose_alerts(findings(dose, ABOVE_MAXIMUM, OVER_CAP))
    first = answer.recommendations[0]
    assert first["severity"] == "urgent"
    assert first["message"].startswith(
        "Call Poison Control (1-800-222-1222 in the US) or {emergency_number} now, even if you feel well."
    )
    assert "5,000 mg of acetaminophen" in first["message"] and "4,000 mg" in first["message"]
    urgent, contact = Alert.objects.filter(pk__in=answer.alert_ids).order_by("-severity")
    assert (urgent.severity, urgent.rule.code) == ("urgent", ABOVE_MAXIMUM)
    assert (contact.severity, contact.rule.code) == ("contact_provider", OVER_CAP)
    assert InboxItem.objects.filter(kind="alert", priority="urgent").count() == 1


def test_one_alert_per_dose_and_severity_worded_with_every_rule(dose, clinician):
    answer = raise_dose_alerts(findings(dose, NSAID_COMBINATION, OVER_CAP, total=3000))
    (alert,) = Alert.objects.filter(pk__in=answer.alert_ids)
    assert "Do not combine" in alert.message and "reaches your daily limit of 3,000 mg" in alert.message
    assert [r["rule"] for r in answer.recommendations] == [NSAID_COMBINATION, OVER_CAP]


def test_the_same_dose_never_raises_twice(dose, clinician):
    first = raise_dose_alerts(findings(dose, OVER_CAP, total=3000))
    again = raise_dose_alerts(findings(dose, OVER_CAP, total=3000))
    assert first.alert_ids == again.alert_ids and Alert.objects.count() == 1


def test_one_email_per_person_per_dose(dose, clinician):
    raise_dose_alerts(findings(dose, ABOVE_MAXIMUM, OVER_CAP))
    assert Notification.objects.filter(recipient=clinician).count() == 1


def test_a_rule_an_admin_switched_off_raises_nothing_and_says_nothing(dose, clinician):
    AlertRule.objects.filter(code=OVER_CAP).update(enabled=False)
    answer = raise_dose_alerts(findings(dose, OVER_CAP, total=3000))
    assert answer.recommendations == [] and answer.alert_ids == [] and not Alert.objects.exists()


def test_recommending_again_raises_nothing(dose, clinician):
    answer = recommend_for_dose(findings(dose, ABOVE_MAXIMUM))
    assert answer.recommendations[0]["severity"] == "urgent" and not Alert.objects.exists()
