"""Reads that touch health data, scoped to the caller.

``patient_for`` is the one access check for a patient's record: "missing" and
"not yours" are the same 404, so a response never reveals that a record exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from patients.models import CareTeamGrant, Patient, Procedure
from portal.accounts.models import Role, User


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Patients this user may see: themselves, or a clinician's active care team."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if user.role == Role.CLINICIAN:
        return Patient.objects.filter(
            care_team_grants__clinician=user, care_team_grants__revoked_at__isnull=True
        ).distinct()
    return Patient.objects.none()


def patient_for(user: User, patient_id: int | str | None) -> Patient:
    """The patient with this id if the user may see them, else 404."""
    try:
        pk = int(patient_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Http404 from None
    patient = patients_visible_to(user).select_related("user").filter(pk=pk).first()
    if patient is None:
        raise Http404
    return patient


def own_patient(user: User) -> Patient:
    """The signed-in patient's own record (404 for anyone else)."""
    patient = Patient.objects.select_related("user").filter(user=user).first() if user.is_authenticated else None
    if patient is None:
        raise Http404
    return patient


def is_on_care_team(*, clinician: User, patient: Patient) -> bool:
    return CareTeamGrant.objects.filter(clinician=clinician, patient=patient, revoked_at__isnull=True).exists()


def care_team_of(patient: Patient) -> QuerySet[User]:
    """Active clinicians the patient has chosen."""
    return User.objects.filter(
        role=Role.CLINICIAN,
        is_active=True,
        care_team_grants__patient=patient,
        care_team_grants__revoked_at__isnull=True,
    ).distinct()


def latest_procedure(patient: Patient) -> Procedure | None:
    return patient.procedures.order_by("-performed_at").first()
