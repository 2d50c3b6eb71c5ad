"""The health factors: the pain plan's inputs (API.md ``health``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from patients.models import (
    Patient,
)
from patients.services.validation import (
    FieldErrors,
    is_blank,
    whole_number,
    yes_no,
)
from portal.accounts.models import User
from portal.audit.services import record_audit

PREFERENCES_MAX = 2000
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


# --- Health factors (the pain-plan inputs) ---------------------------------------------


@transaction.atomic
def update_health(*, patient: Patient, health: Any, updated_by: User) -> Patient:
    """Change some of the health factors (API.md ``health``); others stay."""
    if not isinstance(health, Mapping):
        raise ValidationError({"health": ["Send the health details as an object."]})
    errors = FieldErrors()
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
            if is_blank(value):
                changes[key] = None
            else:
                weeks = whole_number(value)
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
            answer = yes_no(value)
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
