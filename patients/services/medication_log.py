"""The medication log: doses and their 24-hour totals against the cap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import (
    MedicationClass,
    MedicationDose,
    MedicationPolicy,
    Patient,
)
from patients.pain_plan import daily_cap_for
from patients.services.validation import (
    FieldErrors,
    check_moment,
    whole_number,
)
from portal.accounts.models import User

DOSE_MAX_MG = 5000


# --- The medication log ----------------------------------------------------------------


@dataclass
class MedicationLogResult:
    dose: MedicationDose
    total_24h_mg: int
    cap_mg: int
    over_cap: bool  # at or above the cap: CLINICAL.md "warns at the cap" (>=)


def highest_24h_total(doses: list[tuple[datetime, int]], around: datetime) -> int:
    """The largest total of any 24-hour window that contains ``around``.

    A dose logged late still counts against the doses taken after it: each window
    starts at a dose taken in the 24 hours up to ``around``.
    """
    day = timedelta(hours=24)
    starts = [t for t, _ in doses if around - day < t <= around]
    return max((sum(mg for t, mg in doses if start <= t < start + day) for start in starts), default=0)


@transaction.atomic
def record_medication_dose(*, patient: Patient, data: Any, entered_by: User) -> MedicationLogResult:
    """Log a dose and total the class over 24 hours against the patient's cap."""
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Send the dose as an object with its fields."]})
    errors = FieldErrors()
    medication_class = data.get("medication_class")
    if medication_class not in MedicationClass.values:
        errors.add("medication_class", f"Choose one of: {', '.join(MedicationClass.values)}.")
    dose_mg = whole_number(data.get("dose_mg"))
    if dose_mg is None or not 1 <= dose_mg <= DOSE_MAX_MG:
        errors.add("dose_mg", f"Enter the dose in mg as a whole number from 1 to {DOSE_MAX_MG}.")
    taken_at = check_moment(
        errors, "taken_at", data.get("taken_at"), patient=patient, now=timezone.now(), what="time you took it"
    )
    errors.raise_if_any()

    dose = MedicationDose.objects.create(
        patient=patient, medication_class=medication_class, dose_mg=dose_mg, taken_at=taken_at, entered_by=entered_by
    )
    return dose_totals(dose)


def dose_totals(dose: MedicationDose) -> MedicationLogResult:
    """The highest 24-hour total of the dose's class around it, against the cap."""
    nearby = list(
        MedicationDose.objects.filter(
            patient_id=dose.patient_id,
            medication_class=dose.medication_class,
            entered_in_error_at__isnull=True,
            taken_at__gt=dose.taken_at - timedelta(hours=24),
            taken_at__lt=dose.taken_at + timedelta(hours=24),
        ).values_list("taken_at", "dose_mg")
    )
    total = highest_24h_total(nearby, dose.taken_at)
    cap = daily_cap_for(MedicationPolicy.objects.get(medication_class=dose.medication_class), dose.patient)
    return MedicationLogResult(dose=dose, total_24h_mg=total, cap_mg=cap, over_cap=total >= cap)
