"""The symptom diary: validate and record entries; "entered in error"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients.models import (
    Patient,
    SymptomEntry,
)
from patients.services.validation import (
    FieldErrors,
    check_moment,
    decimal_number,
    is_blank,
    whole_number,
    yes_no,
)
from patients.units import celsius_to_fahrenheit, fahrenheit_to_celsius
from portal.accounts.models import Role, User
from portal.audit.services import record_audit
from portal.crypto import seal_text

# API.md ranges (input validation, not clinical thresholds).
TEMPERATURE_MIN_C = Decimal("34.0")
TEMPERATURE_MAX_C = Decimal("43.0")
SCORE_MIN, SCORE_MAX = 0, 10
NOTES_MAX = 2000
SCORE_LABELS = {"back_pain": "back pain", "headache": "headache"}


# --- The symptom diary -----------------------------------------------------------------


def check_symptom_data(data: Any, *, patient: Patient, now: datetime | None = None) -> dict[str, Any]:
    """Validate a diary entry (API.md "Symptoms"); returns the model's fields.

    Raises ValidationError with every problem at once, each under its field.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["Send the entry as an object with its fields."]})
    now = now or timezone.now()
    errors = FieldErrors()
    clean: dict[str, Any] = {}

    for field, label in SCORE_LABELS.items():
        value = data.get(field)
        if is_blank(value):
            errors.add(field, f"Choose how bad your {label} is, from 0 (none) to 10 (worst you can imagine).")
            continue
        score = whole_number(value)
        if score is None or not SCORE_MIN <= score <= SCORE_MAX:
            errors.add(field, f"Your {label} must be a whole number from 0 to 10.")
        else:
            clean[field] = score

    has_c, has_f = not is_blank(data.get("temperature_c")), not is_blank(data.get("temperature_f"))
    clean["temperature_c"] = None
    if has_c and has_f:
        message = "Give your temperature in °C or in °F, not both."
        errors.add("temperature_c", message)
        errors.add("temperature_f", message)
    elif has_c or has_f:
        field = "temperature_c" if has_c else "temperature_f"
        value = decimal_number(data.get(field))
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

    # Every yes/no question answered (CLINICAL.md section 1): left out, null or empty is
    # refused, never read as "no".
    for field in SymptomEntry.YES_NO_FIELDS:
        value = data.get(field)
        answer = None if is_blank(value) else yes_no(value)
        if is_blank(value):
            errors.add(field, "Answer yes or no: this question cannot be left out.")
        elif answer is None:
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

    recorded_at = check_moment(
        errors, "recorded_at", data.get("recorded_at"), patient=patient, now=now, what="time of this entry"
    )
    errors.raise_if_any()
    clean["recorded_at"] = recorded_at
    return clean


def entered_by_role(patient: Patient, user: User) -> str:
    """In what capacity ``user`` writes to the patient's diary: the patient themselves,
    else a caregiver (the only others who may; the caller has checked the grant).
    No query: the ids are on the rows."""
    if user.pk == patient.user_id:
        return Role.PATIENT
    return Role.CAREGIVER


@transaction.atomic(savepoint=False)  # the caller's transaction decides (diary.submit_symptom_entry)
def record_symptoms(*, patient: Patient, data: Any, entered_by: User) -> SymptomEntry:
    """Validate and save one diary entry. The caller evaluates it with the alert
    rules in the same transaction (``patients.diary.submit_symptom_entry``)."""
    clean = check_symptom_data(data, patient=patient)
    notes = clean.pop("notes")
    entry = SymptomEntry.objects.create(
        patient=patient,
        entered_by=entered_by,
        entered_by_role=entered_by_role(patient, entered_by),
        created_at=timezone.now(),
        **clean,
    )
    if notes:
        # Sealed like a message body; the context names the row, so the row comes first.
        entry.notes_sealed = seal_text(notes, context=entry.notes_seal_context)
        entry.save(update_fields=["notes_sealed"])
    return entry


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
