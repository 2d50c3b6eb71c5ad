"""Every write to a patient's record.

Each service is keyword-only and atomic, validates everything before it writes,
and raises ``ValidationError({"field": [message]})`` with a message a patient
understands (the API turns it into a 400 naming the field; the pages show it next
to the field). Nothing is half-saved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from patients.models import (
    CareTeamGrant,
    MedicationClass,
    MedicationDose,
    MedicationPolicy,
    NeedleType,
    Patient,
    Procedure,
    Sex,
    SymptomEntry,
)
from patients.pain_plan import daily_cap_for
from patients.units import celsius_to_fahrenheit, fahrenheit_to_celsius
from portal.accounts.models import Role, User
from portal.accounts.services import invite_user
from portal.audit.models import AuditEvent
from portal.audit.services import _client_ip, record_audit

# A phone's clock may run a little ahead of the server's: "not in the future" allows this.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=2)
# API.md: an entry may be up to one day before the procedure (symptoms the evening before).
BEFORE_PROCEDURE_ALLOWANCE = timedelta(days=1)
# API.md ranges (input validation, not clinical thresholds).
TEMPERATURE_MIN_C = Decimal("34.0")
TEMPERATURE_MAX_C = Decimal("43.0")
SCORE_MIN, SCORE_MAX = 0, 10
NOTES_MAX = 2000
PREFERENCES_MAX = 2000
DOSE_MAX_MG = 5000
ALLERGY_CHOICES = ("acetaminophen", "aspirin", "nsaid")
HEALTH_BOOLEANS = (
    "kidney_disease",
    "liver_disease",
    "heavy_alcohol",
    "ulcer_or_gi_bleed",
    "anticoagulant",
    "warfarin",
    "steroid",
    "diuretic",
    "high_blood_pressure",
    "heart_disease_or_stroke",
    "asthma",
    "breastfeeding",
    "fluid_restriction",
    "arrhythmia_or_seizure",
)
HEALTH_FIELDS = ("allergies", *HEALTH_BOOLEANS, "pregnancy_weeks", "preferences")
PREGNANCY_WEEKS_MAX = 45
SCORE_LABELS = {"back_pain": "back pain", "headache": "headache"}

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


# --- Parsing helpers: strict types, plain messages -------------------------------------


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: Any) -> int | None:
    """An int from an int or a string of digits; None for anything else (bools, 3.5)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | Decimal):
        result = Decimal(str(value))
    elif isinstance(value, str) and len(value) <= 20:
        try:
            result = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    if value is None:
        return False
    return None


def _moment(value: Any, *, time_zone: str) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string; a time without a
    zone is read in the person's own time zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            return None
        if moment is None:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo(time_zone))
    return moment


def _first_procedure(patient: Patient) -> Procedure | None:
    # The earliest procedure bounds the diary: entries between two procedures stay valid.
    return patient.procedures.order_by("performed_at").first()


def _check_moment(
    errors: _Errors, field: str, value: Any, *, patient: Patient, now: datetime, what: str
) -> datetime | None:
    if _blank(value):
        return now
    moment = _moment(value, time_zone=patient.user.time_zone)
    if moment is None:
        errors.add(field, f"Enter the {what} as a date and time, for example 2026-11-23T08:00:00Z.")
        return None
    if moment > now + CLOCK_SKEW_ALLOWANCE:
        errors.add(field, f"The {what} is in the future. Check the date and time.")
        return None
    procedure = _first_procedure(patient)
    if procedure is not None and moment < procedure.performed_at - BEFORE_PROCEDURE_ALLOWANCE:
        errors.add(field, f"The {what} is more than a day before your procedure. Check the date.")
        return None
    return moment


# --- Enrolment and the care team -------------------------------------------------------


@transaction.atomic
def enrol_patient(
    *,
    enrolled_by: User,
    email: str,
    first_name: str,
    last_name: str,
    date_of_birth: date | str,
    sex: str,
    procedure: Mapping[str, Any],
) -> Patient:
    """Enrol a patient: their invited account, profile, procedure, and the
    enrolling clinician on their care team. The invitation email goes out when
    the transaction commits (``invite_user``), so a failed enrolment invites nobody."""
    if enrolled_by.role != Role.CLINICIAN:
        raise PermissionDenied("Only clinicians enrol patients.")
    now = timezone.now()
    errors = _Errors()
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", "Enter a valid email address.")
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors.add("email", "An account with this email address already exists.")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if _blank(value) or not isinstance(value, str):
            errors.add(field, "This field is required.")
        elif len(value.strip()) > 150:
            errors.add(field, "At most 150 characters.")
    born = date_of_birth if isinstance(date_of_birth, date) else parse_date(str(date_of_birth or ""))
    if born is None:
        errors.add("date_of_birth", "Enter the date of birth as YYYY-MM-DD.")
    elif born > timezone.localdate() or born.year < 1900:
        errors.add("date_of_birth", "The date of birth is not a real past date.")
    if sex not in Sex.values:
        errors.add("sex", f"Choose one of: {', '.join(Sex.values)}.")
    if not isinstance(procedure, Mapping):
        errors.add("procedure", "Give the procedure's performed_at, needle_type and needle_gauge.")
        procedure = {}
    performed_at = _moment(procedure.get("performed_at"), time_zone=enrolled_by.time_zone)
    if performed_at is None:
        errors.add("procedure", "Give the procedure's date and time (performed_at).")
    elif performed_at > now + CLOCK_SKEW_ALLOWANCE:
        errors.add("procedure", "The procedure's date and time is in the future.")
    if procedure.get("needle_type") not in NeedleType.values:
        errors.add("procedure", f"The needle type must be one of: {', '.join(NeedleType.values)}.")
    gauge = _whole_number(procedure.get("needle_gauge"))
    if gauge is None or not 18 <= gauge <= 29:
        errors.add("procedure", "The needle gauge must be a whole number from 18 to 29.")
    passes = _whole_number(procedure.get("passes", 1))
    if passes is None or not 1 <= passes <= 20:
        errors.add("procedure", "The number of passes must be a whole number from 1 to 20.")
    errors.raise_if_any()

    user, _token = invite_user(
        email=email, first_name=first_name, last_name=last_name, role=Role.PATIENT, invited_by=enrolled_by
    )
    patient = Patient.objects.create(user=user, date_of_birth=born, sex=sex)
    Procedure.objects.create(
        patient=patient,
        performed_at=performed_at,
        needle_type=procedure["needle_type"],
        needle_gauge=gauge,
        passes=passes,
    )
    record_audit(actor=enrolled_by, action="patient.enrolled", patient_id=patient.pk, obj=patient)
    grant = CareTeamGrant.objects.create(patient=patient, clinician=enrolled_by, granted_by=enrolled_by)
    record_audit(actor=enrolled_by, action="care_team.granted", patient_id=patient.pk, obj=grant)
    return patient


@transaction.atomic
def grant_care_team(*, patient: Patient, clinician: User | None, granted_by: User) -> CareTeamGrant:
    """Add a clinician of the clinic to the patient's care team."""
    if clinician is None or clinician.role != Role.CLINICIAN or not clinician.is_active:
        raise ValidationError({"clinician": ["Choose a clinician of the clinic."]})
    if CareTeamGrant.objects.filter(patient=patient, clinician=clinician, revoked_at__isnull=True).exists():
        raise ValidationError({"clinician": [f"{clinician.display_name} is already on your care team."]})
    try:
        with transaction.atomic():
            grant = CareTeamGrant.objects.create(patient=patient, clinician=clinician, granted_by=granted_by)
    except IntegrityError:
        # A simultaneous request added the same clinician (one active grant per pair).
        raise ValidationError({"clinician": [f"{clinician.display_name} is already on your care team."]}) from None
    record_audit(actor=granted_by, action="care_team.granted", patient_id=patient.pk, obj=grant)
    return grant


@transaction.atomic
def revoke_care_team(*, grant: CareTeamGrant, revoked_by: User) -> CareTeamGrant:
    """End a clinician's access now: every access check reads the active grants,
    so their next request is already a 404."""
    grant = CareTeamGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.revoked_by = revoked_by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record_audit(actor=revoked_by, action="care_team.revoked", patient_id=grant.patient_id, obj=grant)
    return grant


# --- Audit of list reads -----------------------------------------------------------------


def record_list_read(*, user: User, patient_ids: list[int], request=None, action: str = "patient_list.read") -> None:
    """One audit event per patient a clinician saw in a list, in one INSERT (the
    list shows each patient's latest entry, which is health data)."""
    if not patient_ids or user.role == Role.PATIENT:
        return
    ip = _client_ip(request)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=user,
            role=user.role,
            action=action,
            patient_id=pk,
            object_type="patients.patient",
            object_id=str(pk),
            ip=ip,
        )
        for pk in patient_ids
    )


# --- Health factors (the pain-plan inputs) ---------------------------------------------


@transaction.atomic
def update_health(*, patient: Patient, health: Any, updated_by: User) -> Patient:
    """Change some of the health factors (API.md ``health``); others stay."""
    if not isinstance(health, Mapping):
        raise ValidationError({"health": ["Send the health details as an object."]})
    errors = _Errors()
    changes: dict[str, Any] = {}
    for key, value in health.items():
        if key not in HEALTH_FIELDS:
            errors.add(key, "This is not a health detail the portal keeps.")
        elif key == "allergies":
            if not isinstance(value, list | tuple) or any(item not in ALLERGY_CHOICES for item in value):
                errors.add(key, f"Allergies must be a list of: {', '.join(ALLERGY_CHOICES)}.")
            else:
                changes[key] = sorted(set(value))
        elif key == "pregnancy_weeks":
            if _blank(value):
                changes[key] = None
            else:
                weeks = _whole_number(value)
                if weeks is None or not 0 <= weeks <= PREGNANCY_WEEKS_MAX:
                    errors.add(key, f"Weeks of pregnancy must be a whole number from 0 to {PREGNANCY_WEEKS_MAX}.")
                else:
                    changes[key] = weeks
        elif key == "preferences":
            if value is None:
                changes[key] = ""
            elif not isinstance(value, str):
                errors.add(key, "Preferences must be text.")
            elif len(value) > PREFERENCES_MAX:
                errors.add(key, f"Preferences can be at most {PREFERENCES_MAX} characters.")
            else:
                changes[key] = value.strip()
        else:
            answer = _yes_no(value)
            if answer is None:
                errors.add(key, "Answer yes or no.")
            else:
                changes[key] = answer
    errors.raise_if_any()
    if changes:
        patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
        for key, value in changes.items():
            setattr(patient, key, value)
        patient.save(update_fields=[*changes, "updated_at"])
        record_audit(actor=updated_by, action="patient.health_updated", patient_id=patient.pk, obj=patient)
    return patient


# --- The symptom diary -----------------------------------------------------------------


def check_symptom_data(data: Any, *, patient: Patient, now: datetime | None = None) -> dict[str, Any]:
    """Validate a diary entry (API.md "Symptoms"); returns the model's fields.

    Raises ValidationError with every problem at once, each under its field.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Send the entry as an object with its fields."]})
    now = now or timezone.now()
    errors = _Errors()
    clean: dict[str, Any] = {}

    for field, label in SCORE_LABELS.items():
        value = data.get(field)
        if _blank(value):
            errors.add(field, f"Choose how bad your {label} is, from 0 (none) to 10 (worst you can imagine).")
            continue
        score = _whole_number(value)
        if score is None or not SCORE_MIN <= score <= SCORE_MAX:
            errors.add(field, f"Your {label} must be a whole number from 0 to 10.")
        else:
            clean[field] = score

    has_c, has_f = not _blank(data.get("temperature_c")), not _blank(data.get("temperature_f"))
    clean["temperature_c"] = None
    if has_c and has_f:
        message = "Give your temperature in °C or in °F, not both."
        errors.add("temperature_c", message)
        errors.add("temperature_f", message)
    elif has_c or has_f:
        field = "temperature_c" if has_c else "temperature_f"
        value = _decimal(data.get(field))
        celsius = None if value is None else (value if has_c else fahrenheit_to_celsius(value))
        if celsius is None or not TEMPERATURE_MIN_C <= celsius <= TEMPERATURE_MAX_C:
            low, high = (
                (TEMPERATURE_MIN_C, TEMPERATURE_MAX_C)
                if has_c
                else (celsius_to_fahrenheit(TEMPERATURE_MIN_C), celsius_to_fahrenheit(TEMPERATURE_MAX_C))
            )
            unit = "°C" if has_c else "°F"
            errors.add(
                field,
                f"Enter a temperature between {low:.1f} and {high:.1f} {unit}. "
                "If your thermometer shows something else, measure again.",
            )
        else:
            clean["temperature_c"] = celsius.quantize(Decimal("0.01"))

    for field in SymptomEntry.YES_NO_FIELDS:
        answer = _yes_no(data.get(field))
        if answer is None:
            errors.add(field, "Answer yes or no.")
        else:
            clean[field] = answer

    notes = data.get("notes")
    if notes is None:
        clean["notes"] = ""
    elif not isinstance(notes, str):
        errors.add("notes", "Notes must be text.")
    elif len(notes) > NOTES_MAX:
        errors.add("notes", f"Notes can be at most {NOTES_MAX} characters (you wrote {len(notes)}).")
    else:
        clean["notes"] = notes.strip()

    recorded_at = _check_moment(
        errors, "recorded_at", data.get("recorded_at"), patient=patient, now=now, what="time of this entry"
    )
    errors.raise_if_any()
    clean["recorded_at"] = recorded_at
    return clean


@transaction.atomic
def record_symptoms(*, patient: Patient, data: Any, entered_by: User) -> SymptomEntry:
    """Validate and save one diary entry. The caller evaluates it with the alert
    rules in the same transaction (``patients.diary.submit_symptom_entry``)."""
    clean = check_symptom_data(data, patient=patient)
    return SymptomEntry.objects.create(patient=patient, entered_by=entered_by, created_at=timezone.now(), **clean)


@transaction.atomic
def mark_entry_entered_in_error(*, entry: SymptomEntry, marked_by: User, reason: str = "") -> SymptomEntry:
    """Take an entry out of trends and rules; the row stays in the record."""
    if not isinstance(reason, str) or len(reason) > 200:
        raise ValidationError({"reason": ["The reason can be at most 200 characters."]})
    entry = SymptomEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.entered_in_error_at is not None:
        return entry
    entry.entered_in_error_at = timezone.now()
    entry.entered_in_error_reason = reason.strip()
    entry.save(update_fields=["entered_in_error_at", "entered_in_error_reason"])
    record_audit(actor=marked_by, action="symptom_entry.entered_in_error", patient_id=entry.patient_id, obj=entry)
    return entry


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
    errors = _Errors()
    medication_class = data.get("medication_class")
    if medication_class not in MedicationClass.values:
        errors.add("medication_class", f"Choose one of: {', '.join(MedicationClass.values)}.")
    dose_mg = _whole_number(data.get("dose_mg"))
    if dose_mg is None or not 1 <= dose_mg <= DOSE_MAX_MG:
        errors.add("dose_mg", f"Enter the dose in mg as a whole number from 1 to {DOSE_MAX_MG}.")
    taken_at = _check_moment(
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
