"""What happens when a patient saves a diary entry or logs a dose.

The entry is recorded by ``patients.services`` and evaluated by the alert rules
(``alerts.services.evaluate_entry``) in ONE transaction: an alert, its inbox item
and its notifications exist exactly when the entry does. The web form and the API
both call these functions. (The alerts app sits above patients in the layering,
so only this orchestration module, used by views, imports it.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from alerts import services as alert_services
from patients import services
from patients.models import Patient, SymptomEntry
from portal.accounts.models import User

SEVERITY_RANK = {"urgent": 0, "contact_provider": 1, "info": 2}


@dataclass
class DiarySubmission:
    entry: SymptomEntry
    recommendations: list[dict] = field(default_factory=list)  # highest severity first
    alert_ids: list[int] = field(default_factory=list)


def by_severity(recommendations: list[dict]) -> list[dict]:
    """Highest severity first; the engine's order is kept within a severity."""
    return sorted(recommendations, key=lambda r: SEVERITY_RANK.get(r.get("severity"), len(SEVERITY_RANK)))


def submit_symptom_entry(*, patient: Patient, data: Any, entered_by: User) -> DiarySubmission:
    with transaction.atomic():
        entry = services.record_symptoms(patient=patient, data=data, entered_by=entered_by)
        evaluation = alert_services.evaluate_entry(entry)
    return DiarySubmission(
        entry=entry,
        recommendations=by_severity(list(evaluation.recommendations or [])),
        alert_ids=list(evaluation.alert_ids or []),
    )


def log_medication_dose(*, patient: Patient, data: Any, entered_by: User) -> services.MedicationLogResult:
    """Log a dose; at or over the cap, the alerts app (once it offers
    ``medication_over_cap``) raises a contact_provider alert in the same transaction."""
    with transaction.atomic():
        result = services.record_medication_dose(patient=patient, data=data, entered_by=entered_by)
        over_cap_hook = getattr(alert_services, "medication_over_cap", None)
        if result.over_cap and callable(over_cap_hook):
            over_cap_hook(dose=result.dose)
    return result
