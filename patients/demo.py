"""Demo patients for ``seed_demo``. Idempotent: a patient who already has a
record is left as it is (clinical rows are never deleted or rewritten).

- Pat (``accounts["patient"]``): day 2 after the procedure, a positional headache
  that built up over day 1 with a fever spike (38.4 °C / 101.1 °F) on the evening
  of day 1, settling since; diary from the evening before the procedure (within
  the one-day allowance). Neurologist and anesthesiologist on the care team.
- Sam (``accounts["recovering_patient"]``): day 8, recovering; twice-daily diary,
  scores falling, no fever. Neurologist on the care team.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from patients import services
from patients.models import CareTeamGrant, Patient, Procedure
from patients.questions import YES_NO_FIELDS
from portal.accounts.models import User

# Pat: (hours after the procedure, back pain, headache, °C or None, positional, fever reducer, notes)
PAT_DIARY = [
    (-18, 1, 0, "36.8", False, False, "Before the procedure: a little nervous, otherwise fine."),
    (4, 3, 2, "36.9", False, False, ""),
    (12, 3, 4, "37.0", True, False, "Headache when I sit up."),
    (22, 2, 5, "37.2", True, False, ""),
    (30, 3, 6, "37.6", True, False, "Worse when standing, better lying down."),
    (36, 4, 7, "38.4", True, False, "Feel hot and shivery."),
    (40, 3, 6, "38.1", True, False, ""),
    (46, 3, 5, "37.8", True, True, "Took acetaminophen an hour ago."),
    (50, 2, 4, "37.3", True, False, "A bit better this morning."),
]
PAT_PROCEDURE_AGE = timedelta(days=2, hours=5)
SAM_PROCEDURE_AGE = timedelta(days=8, hours=3)


@transaction.atomic
def seed(accounts: dict[str, User]) -> None:
    now = timezone.now()
    neurologist, anesthesiologist = accounts["neurologist"], accounts["anesthesiologist"]
    pat = _patient(
        accounts["patient"], born=date(1988, 4, 12), sex="female", phone="+1 (555) 010-0187", high_blood_pressure=True
    )
    if _new_procedure(pat, performed_at=now - PAT_PROCEDURE_AGE, gauge=22, needle="atraumatic", by=anesthesiologist):
        procedure_at = now - PAT_PROCEDURE_AGE
        for hours, back, head, temp, positional, reducer, notes in PAT_DIARY:
            _entry(pat, procedure_at + timedelta(hours=hours), back, head, temp, positional, reducer, notes)
        for hours, medication_class, mg in (
            (41, "acetaminophen", 1000),
            (45, "acetaminophen", 1000),
            (49, "caffeine", 100),
        ):
            services.record_medication_dose(
                patient=pat,
                data={
                    "medication_class": medication_class,
                    "dose_mg": mg,
                    "taken_at": procedure_at + timedelta(hours=hours),
                },
                entered_by=pat.user,
            )
    _grant(pat, neurologist)
    _grant(pat, anesthesiologist, granted_by=neurologist)

    sam = _patient(accounts["recovering_patient"], born=date(1979, 9, 30), sex="male", phone="+1 (555) 010-0142")
    if _new_procedure(sam, performed_at=now - SAM_PROCEDURE_AGE, gauge=25, needle="atraumatic", by=neurologist):
        procedure_at = now - SAM_PROCEDURE_AGE
        for k in range(17):
            at = procedure_at + timedelta(hours=2 + 12 * k)
            if at > now - timedelta(hours=1):
                break
            headache = max(1, 6 - k // 3)
            back = max(1, 4 - k // 4)
            temp = None if k % 2 else f"{36.6 + (k % 5) * 0.1:.1f}"
            _entry(sam, at, back, headache, temp, headache >= 4, False, "")
    _grant(sam, neurologist)


def _patient(user: User, *, born: date, sex: str, phone: str = "", **health) -> Patient:
    patient, _ = Patient.objects.get_or_create(
        user=user, defaults={"date_of_birth": born, "sex": sex, "phone": phone, **health}
    )
    if phone and not patient.phone:  # a demo database seeded before patients had a phone
        Patient.objects.filter(pk=patient.pk).update(phone=phone)
        patient.phone = phone
    return patient


def _new_procedure(patient: Patient, *, performed_at: datetime, gauge: int, needle: str, by: User) -> bool:
    """Create the procedure unless the patient has one; True when created."""
    if patient.procedures.exists():
        return False
    Procedure.objects.create(
        patient=patient, performed_at=performed_at, needle_type=needle, needle_gauge=gauge, performed_by=by
    )
    return True


def _entry(patient, at, back, head, temp, positional, reducer, notes) -> None:
    services.record_symptoms(
        patient=patient,
        data={
            "recorded_at": at,
            "back_pain": back,
            "headache": head,
            "temperature_c": Decimal(temp) if temp else None,
            # Every question answered, as the diary asks: "no" but for these two.
            **dict.fromkeys(YES_NO_FIELDS, False),
            "positional_headache": positional,
            "took_fever_reducer": reducer,
            "notes": notes,
        },
        entered_by=patient.user,
    )


def _grant(patient: Patient, clinician: User, *, granted_by: User | None = None) -> None:
    if not CareTeamGrant.objects.filter(patient=patient, clinician=clinician, revoked_at__isnull=True).exists():
        services.grant_care_team(patient=patient, clinician=clinician, granted_by=granted_by or clinician)
