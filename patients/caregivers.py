"""Caregivers (proxy access): who follows whom, and what each may do.

A patient invites a partner or relative; the ``CaregiverGrant`` says what they may
do besides reading (log symptoms, message the care team). A caregiver reads the
patient's diary, trend, alerts, released lab reports and pain plan through the
same endpoints and pages, with the patient named (``?patient=<id>``); nothing else
of the record (never the access log, the care-team grants or other caregivers).
Access is checked on every request against an active grant, so a revoked grant
is a 404 at the next request, exactly like a patient one never followed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from patients.models import CaregiverGrant, Patient
from portal.accounts.models import Role, User
from portal.validation import object_id

# What a caregiver may be allowed beyond reading: the grant's field for each.
PERMISSIONS = {"log_symptoms": "can_log_symptoms", "message": "can_message"}

# The roles that can follow a patient: a caregiver, or a patient who follows someone
# else as well as keeping their own diary.
FOLLOWER_ROLES = (Role.CAREGIVER, Role.PATIENT)


def _pk(value: int | str | None) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        pk = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return pk if pk > 0 else None


def active_grants_of(user: User) -> QuerySet[CaregiverGrant]:
    """The user's active grants as a caregiver (none for a deactivated account)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role not in FOLLOWER_ROLES:
        return CaregiverGrant.objects.none()
    return CaregiverGrant.objects.filter(caregiver=user, revoked_at__isnull=True, patient__user__is_active=True)


def patients_followed_by(user: User) -> QuerySet[Patient]:
    """Patients this user follows as a caregiver, by name."""
    return (
        Patient.objects.filter(pk__in=active_grants_of(user).values("patient_id"))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "pk")
    )


def followed_patient_ids(user: User) -> list[int]:
    return list(patients_followed_by(user).values_list("pk", flat=True))


def followed_grant(user: User, patient_id: int | str | None) -> CaregiverGrant | None:
    """The active grant by which this user follows the patient, or None (never
    theirs, revoked, unknown, or the user's own record)."""
    pk = _pk(patient_id)
    if pk is None:
        return None
    return active_grants_of(user).select_related("patient__user").filter(patient_id=pk).first()


def followed_patient(user: User, patient_id: int | str | None, *, may: str = "") -> Patient:
    """The patient this user follows as a caregiver (``may``: a permission of
    ``PERMISSIONS`` they must have been given), else 404."""
    grant = followed_grant(user, patient_id)
    if grant is None:
        raise Http404
    if may and not getattr(grant, PERMISSIONS[may]):
        raise Http404
    return grant.patient


def follows(user: User, patient_id: int | str | None) -> bool:
    return followed_grant(user, patient_id) is not None


def caregiver_grants(patient: Patient, *, include_revoked: bool = False) -> QuerySet[CaregiverGrant]:
    """The patient's caregivers, newest first."""
    grants = CaregiverGrant.objects.filter(patient=patient).select_related("caregiver")
    if not include_revoked:
        grants = grants.filter(revoked_at__isnull=True)
    return grants.order_by("-created_at", "-id")


def caregiver_grant_for_patient(patient: Patient, grant_id: int | str | None) -> CaregiverGrant:
    """One of the patient's active caregiver grants, else 404 (a revoked one too)."""
    pk = _pk(grant_id)
    grant = caregiver_grants(patient).filter(pk=pk).first() if pk is not None else None
    if grant is None:
        raise Http404
    return grant


def caregivers_of(patient: Patient) -> QuerySet[User]:
    """The people who follow the patient now (the clinician's chart names them)."""
    users: QuerySet[User] = User.objects.filter(
        is_active=True, caregiver_grants__patient=patient, caregiver_grants__revoked_at__isnull=True
    ).order_by("first_name", "last_name", "email")
    return users


def caregiver_user_ids_of(patient: Patient) -> set[int]:
    return set(CaregiverGrant.objects.filter(patient=patient).values_list("caregiver_id", flat=True).distinct())


def diary_patient_for(user: User, patient_id: object) -> Patient:
    """Whose diary a new entry goes to: the patient's own (``patient`` omitted or
    their own id, no extra query), or, for a caregiver allowed to log symptoms, the
    patient they name. A caregiver who names nobody: 400 ``patient``; a patient not
    followed (never, or no longer): 404; one who allows no logging: 400 ``patient``."""
    named = patient_id not in (None, "")
    pk = object_id(patient_id, field="patient") if named else None  # 400 for a value that is no id
    if user.role == Role.PATIENT:
        own = Patient.objects.filter(user=user).first()
        if own is None:
            raise Http404
        own.user = user
        if pk is None or pk == own.pk:
            return own
    elif not named:
        raise ValidationError({"patient": ["Choose whose diary this entry is for (patient)."]})
    grant = followed_grant(user, pk)
    if grant is None:
        raise Http404
    if not grant.can_log_symptoms:
        name = grant.patient.user.first_name or "This patient"
        raise ValidationError({"patient": [f"{name} has not allowed you to log symptoms for them."]})
    return grant.patient


# Where a caregiver's urgent-alert email leads: the people they help (no id, no data).
CAREGIVER_LINK = "/caregiving/"


def urgent_email_caregivers(patient_ids: list[int]) -> dict[int, list[User]]:
    """By patient: the active caregivers who chose the urgent-alert emails (a revoked
    grant or a deactivated account: none). One query for any number of patients, none
    for none (a scan that raises many alerts stays at a fixed number of queries)."""
    if not patient_ids:
        return {}
    grants = (
        CaregiverGrant.objects.filter(
            patient_id__in=patient_ids,
            revoked_at__isnull=True,
            urgent_alert_emails=True,
            caregiver__is_active=True,
            caregiver__role__in=FOLLOWER_ROLES,
        )
        .select_related("caregiver")
        .order_by("caregiver_id")
    )
    found: dict[int, list[User]] = {}
    for grant in grants:
        found.setdefault(grant.patient_id, []).append(grant.caregiver)
    return found
