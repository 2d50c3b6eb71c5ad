"""The medication log: doses, their 24-hour totals against each drug's limits.

CLINICAL.md section 5: each drug has its own label cap (warn at it, >=); doses of
one ingredient are added up over a rolling 24 hours; two different NSAIDs within
24 hours are "do not combine"; above the absolute maximum is urgent; a single dose
larger than any product holds is refused as a typing error. Every number is a
``Drug`` row; this module only compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.medication_alerts import (
    ABOVE_MAXIMUM,
    NSAID_COMBINATION,
    OVER_CAP,
    POISON_CONTROL_TEXT,
    DoseFindings,
)
from patients.models import Drug, MedicationClass, MedicationDose, Patient
from patients.pain_plan import daily_cap_for
from patients.services.validation import FieldErrors, check_moment, whole_number
from portal.accounts.models import User
from portal.clinic.texts import with_clinic

DAY = timedelta(hours=24)


@dataclass
class MedicationLogResult:
    dose: MedicationDose
    total_24h_mg: int  # the drug's ingredient, the highest 24-hour window around the dose
    cap_mg: int
    over_cap: bool  # at or above the cap: CLINICAL.md "warns at the cap" (>=)
    never_above_mg: int | None = None
    above_maximum: bool = False  # above the absolute maximum (>)
    combined_with: Drug | None = None  # another NSAID within 24 hours

    @property
    def rules(self) -> tuple[str, ...]:
        """The findings, most serious first (``patients.medication_alerts``). Above the
        absolute maximum says all the cap would: the cap is not raised besides."""
        found = {
            ABOVE_MAXIMUM: self.above_maximum,
            NSAID_COMBINATION: self.combined_with is not None,
            OVER_CAP: self.over_cap and not self.above_maximum,
        }
        return tuple(code for code, present in found.items() if present)

    def findings(self) -> DoseFindings:
        return DoseFindings(
            dose=self.dose,
            rules=self.rules,
            drug=self.dose.drug.name,
            total_24h_mg=self.total_24h_mg,
            cap_mg=self.cap_mg,
            never_above_mg=self.never_above_mg,
            other_drug=self.combined_with.name if self.combined_with is not None else "",
        )


def highest_24h_total(doses: list[tuple[datetime, int]], around: datetime) -> int:
    """The largest total of any 24-hour window that contains ``around``.

    A dose logged late still counts against the doses taken after it: each window
    starts at a dose taken in the 24 hours up to ``around``.
    """
    starts = [t for t, _ in doses if around - DAY < t <= around]
    return max((sum(mg for t, mg in doses if start <= t < start + DAY) for start in starts), default=0)


def _drug_for(errors: FieldErrors, medication_class: str | None, raw_drug: Any) -> Drug | None:
    """The named drug of the class, or the class's default drug when none is named."""
    drugs = list(Drug.objects.filter(medication_class=medication_class)) if medication_class else []
    if raw_drug is None or raw_drug == "":
        drug = next((d for d in drugs if d.class_default), None)
        if drug is None and medication_class:
            errors.add("drug", "Choose which drug you took.")
        return drug
    drug = next((d for d in drugs if isinstance(raw_drug, str) and d.code == raw_drug), None)
    if drug is None and medication_class:
        errors.add("drug", f"For {medication_class}, choose one of: {', '.join(d.code for d in drugs)}.")
    return drug


def typing_error_message(*, dose_mg: int, drug: Drug) -> str:
    return with_clinic(
        f"{dose_mg:,} mg of {drug.name} in one dose is more than any pack holds, so it looks like a typing error: "
        f"check the number (in mg: two 500 mg tablets are 1000 mg). If you really took this much: {POISON_CONTROL_TEXT}"
    )


@transaction.atomic
def record_medication_dose(*, patient: Patient, data: Any, entered_by: User) -> MedicationLogResult:
    """Log a dose of one drug and total its ingredient over 24 hours against its limits."""
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Send the dose as an object with its fields."]})
    errors = FieldErrors()
    medication_class = data.get("medication_class")
    if medication_class not in MedicationClass.values:
        errors.add("medication_class", f"Choose what you took: one of {', '.join(MedicationClass.values)}.")
        medication_class = None
    drug = _drug_for(errors, medication_class, data.get("drug"))
    dose_mg = whole_number(data.get("dose_mg"))
    if dose_mg is None or dose_mg < 1:
        errors.add("dose_mg", "Enter the dose in mg as a whole number, for example 500.")
    elif drug is not None and dose_mg > drug.largest_dose_mg:
        errors.add("dose_mg", typing_error_message(dose_mg=dose_mg, drug=drug))
    taken_at = check_moment(
        errors, "taken_at", data.get("taken_at"), patient=patient, now=timezone.now(), what="time you took it"
    )
    errors.raise_if_any()
    # Checked above (a None is an error raised already); for the type checker:
    assert medication_class is not None and drug is not None and dose_mg is not None and taken_at is not None

    dose = MedicationDose.objects.create(
        patient=patient,
        medication_class=medication_class,
        drug=drug,
        dose_mg=dose_mg,
        taken_at=taken_at,
        entered_by=entered_by,
    )
    return dose_totals(dose)


def dose_totals(dose: MedicationDose) -> MedicationLogResult:
    """The dose against its drug's limits, from the doses of its class 24 hours either side.

    1. One indexed query: the class's doses within 24 hours of this one.
    2. The total is the ingredient's highest 24-hour window around the dose; its cap
       the lowest cap of the products of that ingredient taken (a 500 mg product in
       the window keeps acetaminophen at 3,000 mg), adjusted for pregnancy.
    3. Another NSAID ingredient less than 24 hours away is a combination.
    """
    drug = dose.drug
    nearby = list(
        MedicationDose.objects.filter(
            patient_id=dose.patient_id,
            medication_class=dose.medication_class,
            entered_in_error_at__isnull=True,
            taken_at__gt=dose.taken_at - DAY,
            taken_at__lt=dose.taken_at + DAY,
        ).select_related("drug")
    )
    same = [d for d in nearby if d.drug.ingredient == drug.ingredient]
    products = {d.drug_id: d.drug for d in same} | {drug.pk: drug}
    total = highest_24h_total([(d.taken_at, d.dose_mg) for d in same], dose.taken_at)
    cap = min(daily_cap_for(product, dose.patient) for product in products.values())
    maximums = [product.never_above_mg for product in products.values() if product.never_above_mg is not None]
    never_above = min(maximums) if maximums else None
    combined_with = None
    if dose.medication_class == MedicationClass.NSAID:
        others = sorted((d for d in nearby if d.drug.ingredient != drug.ingredient), key=lambda d: d.taken_at)
        combined_with = others[-1].drug if others else None
    return MedicationLogResult(
        dose=dose,
        total_24h_mg=total,
        cap_mg=cap,
        over_cap=total >= cap,
        never_above_mg=never_above,
        above_maximum=never_above is not None and total > never_above,
        combined_with=combined_with,
    )
