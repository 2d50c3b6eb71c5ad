"""API permissions shared by every app.

``MFARequiredForHealthData`` is a default permission: a clinician's or admin's
session (browser cookie or app token) gets 403 ``mfa_required`` from every
endpoint that may return health data until TOTP is set up and until that session
itself passed the TOTP step (``portal.accounts.mfa``). A view that returns none
(``/me``, invitations) says so with ``health_data = False``.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from portal.accounts.mfa import MFAStatus, has_totp, mfa_status, requires_mfa
from portal.accounts.models import Role


class MFARequired(exceptions.PermissionDenied):
    default_detail = "Set up two-factor authentication (TOTP) before viewing patient data."
    default_code = "mfa_required"


STEP_NEEDED_DETAIL = "This session did not pass two-factor authentication. Sign in again with your authenticator code."


def needs_mfa(user) -> bool:
    """True when this user must set up TOTP before seeing health data (a clinician,
    an admin or any staff user without it). Whether a session passed the TOTP step
    is a question about the session: ``portal.accounts.mfa.mfa_status``."""
    return requires_mfa(user) and not has_totp(user)


def session_of(request) -> SessionBase | None:
    """The session that authenticated a DRF request: the app token's session
    (``request.auth``) or the browser's cookie session."""
    if isinstance(getattr(request, "auth", None), SessionBase):
        return request.auth
    return getattr(request, "session", None)


class MFARequiredForHealthData(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not getattr(view, "health_data", True):
            return True
        status = mfa_status(request.user, session_of(request))
        if status is MFAStatus.SET_UP_NEEDED:
            raise MFARequired()
        if status is MFAStatus.STEP_NEEDED:
            raise MFARequired(detail=STEP_NEEDED_DETAIL)
        return True


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.PATIENT)


class IsClinician(BasePermission):
    message = "Only clinicians can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.role == Role.CLINICIAN)


class IsPatientOrClinician(BasePermission):
    message = "Only patients and clinicians can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.role in (Role.PATIENT, Role.CLINICIAN))


class IsPatientClinicianOrCaregiver(BasePermission):
    """The reads a caregiver may make too (with the patient named: patients.caregivers)."""

    message = "Only patients, their caregivers and clinicians can do this."

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user.is_authenticated and request.user.role in (Role.PATIENT, Role.CLINICIAN, Role.CAREGIVER)
        )


class IsPatientOrCaregiver(BasePermission):
    """A write a caregiver may make on the patient's behalf when allowed (the symptom diary)."""

    message = "Only patients and their caregivers can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and request.user.role in (Role.PATIENT, Role.CAREGIVER))
