"""The pain plan: which medication classes to discuss with the clinician, from
the patient's health factors and the rows of CLINICAL.md section 5 (seeded as
``MedicationPolicy``, ``PainPlanCondition`` and ``NonDrugOption``).

It never prescribes: every option says "discuss with your clinician", and an
option is only ever "suitable to discuss", "only with your clinician's approval"
or "not suitable".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from patients.models import (
    NUMERIC_HEALTH_FACTORS,
    Drug,
    HealthFactor,
    MedicationPolicy,
    NonDrugOption,
    Patient,
    PlanEffect,
)

NOTHING_AGAINST = "Nothing in your health details rules this out."


@dataclass(frozen=True)
class DrugLimit:
    """One drug's limits for this patient, in words made from its row."""

    drug: str
    label: str
    daily_cap_mg: int
    never_above_mg: int | None

    @property
    def text(self) -> str:
        words = f"{self.label}: at most {self.daily_cap_mg:,} mg in 24 hours"
        if self.never_above_mg is not None:
            words += f"; never more than {self.never_above_mg:,} mg"
        return words + "."


@dataclass
class PlanOption:
    medication_class: str
    label: str
    examples: str
    suitable: bool
    status: str  # "suitable" | "approval_first" | "excluded"
    reasons: list[str]
    daily_cap_mg: int  # the class's default drug (ibuprofen for the NSAIDs)
    cap_text: str
    use_note: str
    citations: list[str]
    limits: list[DrugLimit] = field(default_factory=list)
    discuss_with_clinician: bool = True


@dataclass
class PainPlan:
    options: list[PlanOption]
    non_drug: list[dict]
    preferences: str = ""
    notes: list[str] = field(default_factory=list)


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def health_factor_values(patient: Patient, *, today: date | None = None) -> dict[str, object]:
    """Each ``HealthFactor`` for this patient: booleans, age and pregnancy weeks."""
    today = today or timezone.localdate()
    allergies = set(patient.allergies or [])
    values: dict[str, object] = {
        HealthFactor.ALLERGY_ACETAMINOPHEN: "acetaminophen" in allergies,
        HealthFactor.ALLERGY_ASPIRIN: "aspirin" in allergies,
        HealthFactor.ALLERGY_NSAID: "nsaid" in allergies,
        HealthFactor.AGE: age_on(patient.date_of_birth, today),
        HealthFactor.PREGNANCY_WEEKS: patient.pregnancy_weeks,
    }
    for factor in HealthFactor:
        if factor not in values:
            values[factor] = bool(getattr(patient, factor.value))
    return values


def _applies(factor: str, at_least: int | None, values: dict[str, object]) -> bool:
    value = values.get(factor)
    if factor in NUMERIC_HEALTH_FACTORS:
        return value is not None and at_least is not None and value >= at_least
    return bool(value)


def daily_cap_for(drug: Drug, patient: Patient) -> int:
    """The drug's cap for this patient: the lowest of the caps that apply to them."""
    caps = [drug.daily_cap_mg]
    if patient.pregnancy_weeks and drug.pregnancy_cap_mg is not None:
        caps.append(drug.pregnancy_cap_mg)
    if patient.breastfeeding and drug.breastfeeding_cap_mg is not None:
        caps.append(drug.breastfeeding_cap_mg)
    return min(caps)


def drug_limits(patient: Patient, drugs: list[Drug]) -> list[DrugLimit]:
    return [
        DrugLimit(
            drug=drug.code,
            label=drug.label,
            daily_cap_mg=daily_cap_for(drug, patient),
            never_above_mg=drug.never_above_mg,
        )
        for drug in drugs
    ]


def pain_plan_for(patient: Patient, *, today: date | None = None) -> PainPlan:
    """The plan in three queries (policies with their conditions, drugs, non-drug options)."""
    values = health_factor_values(patient, today=today)
    drugs_of: dict[str, list[Drug]] = {}
    for drug in Drug.objects.order_by("order", "code"):
        drugs_of.setdefault(drug.medication_class, []).append(drug)
    options = []
    for policy in MedicationPolicy.objects.prefetch_related("conditions").order_by("order", "medication_class"):
        excluded, approval = [], []
        citations = [c.strip() for c in policy.citation.split(",") if c.strip()]
        for condition in policy.conditions.all():
            if not _applies(condition.factor, condition.at_least, values):
                continue
            (excluded if condition.effect == PlanEffect.EXCLUDES else approval).append(condition.reason)
            if condition.citation not in citations:
                citations.append(condition.citation)
        if excluded:
            status = "excluded"
        elif approval:
            status = "approval_first"
        else:
            status = "suitable"
        options.append(
            PlanOption(
                medication_class=policy.medication_class,
                label=policy.label,
                examples=policy.examples,
                suitable=status == "suitable",
                status=status,
                reasons=excluded + approval or [NOTHING_AGAINST],
                daily_cap_mg=min(
                    (daily_cap_for(d, patient) for d in drugs_of.get(policy.medication_class, []) if d.class_default),
                    default=0,
                ),
                cap_text=policy.cap_text,
                limits=drug_limits(patient, drugs_of.get(policy.medication_class, [])),
                use_note=policy.use_note,
                citations=citations,
            )
        )
    non_drug = [
        {"code": option.code, "text": option.text, "citation": option.citation}
        for option in NonDrugOption.objects.order_by("order", "code")
        if not (option.hidden_when and values.get(option.hidden_when))
    ]
    return PainPlan(options=options, non_drug=non_drug, preferences=patient.preferences)
