"""How the care team reaches the patient: their phone number."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import Patient
from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.clinic.models import PHONE_PATTERN

PHONE_MAX = 30
PHONE_MESSAGE = "Give a phone number of digits, spaces, brackets or dashes, optionally starting with +."


def check_phone(phone: object) -> str:
    """A phone number as typed (trimmed), or "" to remove it; otherwise a 400 naming ``phone``."""
    if phone is None:
        return ""
    if not isinstance(phone, str):
        raise ValidationError({"phone": ["Give the phone number as text."]})
    phone = phone.strip()
    if len(phone) > PHONE_MAX:
        raise ValidationError({"phone": [f"At most {PHONE_MAX} characters."]})
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationError({"phone": [PHONE_MESSAGE]})
    return phone


@transaction.atomic
def update_phone(*, patient: Patient, phone: object, updated_by: User) -> Patient:
    """Set (or, with an empty value, remove) the patient's phone number; audited when it changes."""
    phone = check_phone(phone)
    patient = Patient.objects.select_for_update().select_related("user").get(pk=patient.pk)
    if phone != patient.phone:
        patient.phone = phone
        patient.save(update_fields=["phone", "updated_at"])
        record_audit(actor=updated_by, action="patient.phone_updated", patient_id=patient.pk, obj=patient)
    return patient
