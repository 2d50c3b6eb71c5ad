"""What happens when a patient saves a diary entry or logs a dose.

The entry is recorded by ``patients.services`` and evaluated by the alert rules
(``alerts.services.evaluate_entry``) in ONE transaction: an alert, its inbox item
and its notifications exist exactly when the entry does. The web form and the API
both call these functions. (The alerts app sits above patients in the layering,
so only this orchestration module, used by views, imports it.) A dose reaches the
alerts app through the handler it registers (``patients.medication_alerts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import transaction

from alerts import services as alert_services
from patients import medication_alerts, services
from patients.models import Patient, SymptomEntry
from patients.routing import Responsible, responsible_for
from portal.accounts.models import User
from portal.clinic.selectors import current_clinic
from portal.clinic.texts import with_clinic

SEVERITY_RANK = {"urgent": 0, "contact_provider": 1, "info": 2}


@dataclass
class DiarySubmission:
    entry: SymptomEntry
    recommendations: list[dict] = field(default_factory=list)  # highest severity first, the clinic's numbers in
    alert_ids: list[int] = field(default_factory=list)
    # Who the alerts went to (CLINICAL.md section 7); None when nothing was raised.
    responsible: Responsible | None = None
    # The patient's fever threshold (°C) the rules used: the answer shows the entry's
    # temperature with it (None: read it again).
    fever_limits: list | None = None


def by_severity(recommendations: list[dict]) -> list[dict]:
    """Highest severity first; the engine's order is kept within a severity."""
    return sorted(recommendations, key=lambda r: SEVERITY_RANK.get(r.get("severity"), len(SEVERITY_RANK)))


def submit_symptom_entry(*, patient: Patient, data: Any, entered_by: User) -> DiarySubmission:
    with transaction.atomic():
        entry = services.record_symptoms(patient=patient, data=data, entered_by=entered_by)
        evaluation = alert_services.evaluate_entry(entry)
        # Read in the transaction that routed the alerts: what the patient is told is who was told.
        responsible = responsible_for(patient) if evaluation.alert_ids else None
    recommendations = by_severity(list(evaluation.recommendations or []))
    # The clinic's settings (two queries) only when a message has a number to fill in.
    clinic = current_clinic() if any("{" in r["message"] for r in recommendations) else None
    return DiarySubmission(
        entry=entry,
        recommendations=[{**r, "message": with_clinic(r["message"], clinic)} for r in recommendations],
        alert_ids=list(evaluation.alert_ids or []),
        responsible=responsible,
        fever_limits=evaluation.fever_limits,
    )


@dataclass
class LoggedDose:
    """A saved dose, its totals, and what the patient is told (highest severity first)."""

    result: services.MedicationLogResult
    recommendations: list[dict] = field(default_factory=list)  # [{"rule", "severity", "message"}]
    alert_ids: list[int] = field(default_factory=list)

    @property
    def dose(self):
        return self.result.dose

    @property
    def severity(self) -> str | None:
        return self.recommendations[0]["severity"] if self.recommendations else None

    @property
    def message(self) -> str:
        """Every finding's words, the most serious first, with the clinic's numbers filled in."""
        return " ".join(card["message"] for card in self.cards)

    @cached_property
    def cards(self) -> list[dict]:
        """Each finding as the page shows it: the first is the instruction, the rest below it."""
        clinic = current_clinic() if self.recommendations else None
        return [{**r, "message": with_clinic(r["message"], clinic)} for r in self.recommendations]


def log_medication_dose(*, patient: Patient, data: Any, entered_by: User) -> LoggedDose:
    """Log a dose; a dose at a cap, above an absolute maximum or combining two NSAIDs
    raises its alert through the alerts app's registered handler, in the same
    transaction (no handler: ``NoDoseAlertHandler``, and nothing is saved)."""
    with transaction.atomic():
        handler = medication_alerts.dose_alert_handler()
        result = services.record_medication_dose(patient=patient, data=data, entered_by=entered_by)
        answer = handler.raise_alerts(result.findings()) if result.rules else medication_alerts.DoseAlerts()
    return LoggedDose(
        result=result, recommendations=by_severity(answer.recommendations), alert_ids=list(answer.alert_ids)
    )


def logged_dose_again(dose) -> LoggedDose:
    """A saved dose as it was logged (the page shown after the redirect): the same
    findings and words, without raising anything again."""
    result = services.dose_totals(dose)
    answer = (
        medication_alerts.dose_alert_handler().recommend(result.findings())
        if result.rules
        else medication_alerts.DoseAlerts()
    )
    return LoggedDose(result=result, recommendations=by_severity(answer.recommendations))
