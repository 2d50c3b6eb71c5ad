"""Caregivers (proxy access): the patient invites, changes and revokes.

A new caregiver gets an account of their own (role ``caregiver``) by the same
one-time invitation link as anyone (7 days, ``POST /api/v1/invitations/accept/``);
a person who has an account already (a patient, or someone's caregiver) is added
and told by an email carrying a link only. Nothing is created unless all is well.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from patients.models import CaregiverGrant, Patient
from patients.services.validation import is_blank
from portal.accounts.models import Role, User
from portal.accounts.services import invite_user, reissue_invitation
from portal.audit.services import record_audit
from portal.validation import FieldErrors

NAME_MAX = 150
CLINIC_ADDRESS = (
    "This address belongs to a clinic account. A caregiver needs a personal address of their own: ask them for it."
)


def _flag(errors: FieldErrors, data: Any, field: str, *, default: bool = False) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        errors.add(field, "Use true or false.")
        return default
    return value


def permissions_from(data: Any, *, partial: bool = False) -> dict[str, bool]:
    """``can_log_symptoms`` and ``can_message`` as booleans (400 naming a field that
    is not one); with ``partial`` only those given."""
    errors = FieldErrors()
    flags = {
        field: _flag(errors, data, field)
        for field in ("can_log_symptoms", "can_message")
        if not partial or field in data
    }
    errors.raise_if_any()
    return flags


def _existing_caregiver_problem(user: User, patient: Patient) -> str:
    if user.pk == patient.user_id:
        return "That is your own address: a caregiver is someone else, with their own account."
    if user.role not in (Role.PATIENT, Role.CAREGIVER) or user.is_staff:
        return CLINIC_ADDRESS
    if not user.is_active:
        return "This account is closed. Ask the clinic to open it again, or give another address."
    if CaregiverGrant.objects.filter(patient=patient, caregiver=user, revoked_at__isnull=True).exists():
        return f"{user.get_full_name() or user.email} is already one of your caregivers."
    return ""


@transaction.atomic
def invite_caregiver(*, patient: Patient, data: Any, invited_by: User) -> CaregiverGrant:
    """Add a caregiver: ``email``, ``first_name``, ``last_name``, ``can_log_symptoms``,
    ``can_message``. Raises ValidationError naming each field that is wrong."""
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    errors = FieldErrors()
    raw_email = data.get("email")
    email = User.objects.normalize_email(raw_email).strip().lower() if isinstance(raw_email, str) else ""
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", "Enter a valid email address.")
    names = {}
    for field in ("first_name", "last_name"):
        value = data.get(field, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.add(field, "Enter text.")
        elif len(value.strip()) > NAME_MAX:
            errors.add(field, f"At most {NAME_MAX} characters.")
        names[field] = value.strip() if isinstance(value, str) else ""
    try:
        flags = permissions_from(data)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.add(field, message)
        flags = {}
    existing = User.objects.filter(email__iexact=email).first() if "email" not in errors else None
    if existing is not None:
        problem = _existing_caregiver_problem(existing, patient)
        if problem:
            errors.add("email", problem)
    elif "email" not in errors and is_blank(names.get("first_name")):
        errors.add("first_name", "Give the caregiver's first name: the care team sees who entered what.")
    errors.raise_if_any()

    if existing is None:
        caregiver, _token = invite_user(
            email=email,
            role=Role.CAREGIVER,
            invited_by=invited_by,
            first_name=names["first_name"],
            last_name=names["last_name"],
        )
    else:
        caregiver = existing
        if not caregiver.has_usable_password():
            # Invited before and never accepted: a fresh link (the old ones stop working).
            reissue_invitation(user=caregiver, invited_by=invited_by)
        else:
            _tell_existing_account(caregiver)
    try:
        with transaction.atomic():
            grant = CaregiverGrant.objects.create(patient=patient, caregiver=caregiver, **flags)
    except IntegrityError:
        # A simultaneous request added the same person (one active grant per pair).
        raise ValidationError({"email": ["This person is already one of your caregivers."]}) from None
    record_audit(actor=invited_by, action="caregiver.granted", patient_id=patient.pk, obj=grant)
    return grant


def _tell_existing_account(user: User) -> None:
    """A person with an account is told by email: a link to sign in, nothing else
    (being a patient of this clinic is itself health data)."""
    link = f"{settings.AFTERCARE_SITE_URL}{reverse('account_login')}"
    body = render_to_string("patients/email/caregiver_added.txt", {"link": link})
    subject = "You can now help someone in Aftercare"
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


@transaction.atomic
def change_caregiver(*, grant: CaregiverGrant, data: Any, changed_by: User) -> CaregiverGrant:
    """Change what a caregiver may do (``can_log_symptoms``, ``can_message``)."""
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    flags = permissions_from(data, partial=True)
    grant = CaregiverGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError({"non_field_errors": ["This caregiver's access has ended."]})
    changed = [field for field, value in flags.items() if getattr(grant, field) != value]
    for field in changed:
        setattr(grant, field, flags[field])
    if changed:
        grant.save(update_fields=changed)
        detail = ", ".join(f"{field}: {flags[field]}" for field in changed)
        record_audit(
            actor=changed_by, action="caregiver.changed", patient_id=grant.patient_id, obj=grant, detail=detail
        )
    return grant


@transaction.atomic
def set_urgent_alert_emails(*, grant: CaregiverGrant, wanted: Any) -> CaregiverGrant:
    """The caregiver's own choice: the patient's urgent-alert emails (a link only)."""
    if not isinstance(wanted, bool):
        raise ValidationError(
            {"urgent_alert_emails": ["Must be a valid boolean." if wanted is not None else "This field is required."]}
        )
    grant = CaregiverGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is None and grant.urgent_alert_emails != wanted:
        grant.urgent_alert_emails = wanted
        grant.save(update_fields=["urgent_alert_emails"])
    return grant


@transaction.atomic
def revoke_caregiver(*, grant: CaregiverGrant, revoked_by: User) -> CaregiverGrant:
    """End a caregiver's access now: every caregiver request reads the active
    grants, so their next request is a 404."""
    grant = CaregiverGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    record_audit(actor=revoked_by, action="caregiver.revoked", patient_id=grant.patient_id, obj=grant)
    return grant
