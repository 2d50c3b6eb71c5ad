"""Enrolment and the care team: who may see a patient's record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from patients.models import (
    CareTeamGrant,
    NeedleType,
    Patient,
    Procedure,
    Sex,
)
from patients.services.validation import (
    CLOCK_SKEW_ALLOWANCE,
    FieldErrors,
    is_blank,
    parse_moment,
    whole_number,
)
from portal.accounts.models import Role, User
from portal.accounts.services import invite_user
from portal.audit.services import record_audit
from portal.clinic.models import PHONE_PATTERN

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
    phone: str | None = "",
) -> Patient:
    """Enrol a patient: their invited account, profile, procedure, and the
    enrolling clinician on their care team. The invitation email goes out when
    the transaction commits (``invite_user``), so a failed enrolment invites nobody."""
    if enrolled_by.role != Role.CLINICIAN:
        raise PermissionDenied("Only clinicians enrol patients.")
    now = timezone.now()
    errors = FieldErrors()
    email = email.strip().lower() if isinstance(email, str) else ""  # JSON may send any type
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", "Enter a valid email address.")
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors.add("email", "An account with this email address already exists.")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if is_blank(value) or not isinstance(value, str):
            errors.add(field, "This field is required.")
        elif len(value.strip()) > 150:
            errors.add(field, "At most 150 characters.")
    try:
        born = date_of_birth if isinstance(date_of_birth, date) else parse_date(str(date_of_birth or ""))
    except ValueError:  # well formed but not a day of the calendar, e.g. 2000-02-30
        born = None
    if born is None:
        errors.add("date_of_birth", "Enter the date of birth as YYYY-MM-DD.")
    elif born > timezone.localdate() or born.year < 1900:
        errors.add("date_of_birth", "The date of birth is not a real past date.")
    if sex not in Sex.values:
        errors.add("sex", f"Choose one of: {', '.join(Sex.values)}.")
    phone = "" if phone is None else phone.strip() if isinstance(phone, str) else None  # JSON may send any type
    if phone is None or (phone and not PHONE_PATTERN.match(phone)):
        errors.add("phone", "Give a phone number of digits, spaces, brackets or dashes, optionally starting with +.")
    if not isinstance(procedure, Mapping):
        errors.add("procedure", "Give the procedure's performed_at, needle_type and needle_gauge.")
        procedure = {}
    performed_at = parse_moment(procedure.get("performed_at"), time_zone=enrolled_by.time_zone)
    if performed_at is None:
        errors.add("procedure", "Give the procedure's date and time (performed_at).")
    elif performed_at > now + CLOCK_SKEW_ALLOWANCE:
        errors.add("procedure", "The procedure's date and time is in the future.")
    if procedure.get("needle_type") not in NeedleType.values:
        errors.add("procedure", f"The needle type must be one of: {', '.join(NeedleType.values)}.")
    gauge = whole_number(procedure.get("needle_gauge"))
    if gauge is None or not 18 <= gauge <= 29:
        errors.add("procedure", "The needle gauge must be a whole number from 18 to 29.")
    passes = whole_number(procedure.get("passes", 1))
    if passes is None or not 1 <= passes <= 20:
        errors.add("procedure", "The number of passes must be a whole number from 1 to 20.")
    errors.raise_if_any()
    # Checked above (a None is an error raised already); for the type checker:
    assert born is not None and performed_at is not None and gauge is not None and passes is not None

    user, _token = invite_user(
        email=email, first_name=first_name, last_name=last_name, role=Role.PATIENT, invited_by=enrolled_by
    )
    patient = Patient.objects.create(user=user, date_of_birth=born, sex=sex, phone=phone)
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
