"""The rule every clinician's lab write starts with: the patient is on their care team."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from patients.models import Patient
from patients.selectors import is_on_care_team
from portal.accounts.models import Role, User


def require_care_team(user: User, patient: Patient, *, field: str = "patient") -> None:
    if getattr(user, "role", None) != Role.CLINICIAN or not user.is_active:
        raise PermissionDenied
    if not is_on_care_team(clinician=user, patient=patient):
        # Same words for "missing" and "not yours": existence is not revealed.
        raise ValidationError({field: ["Unknown patient."]})
