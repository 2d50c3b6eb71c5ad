"""API permissions shared by every app.

``MFARequiredForHealthData`` is a default permission: clinicians and admins get
403 ``mfa_required`` from every endpoint that may return health data until they
have TOTP set up. A view that returns none (``/me``, invitations) says so with
``health_data = False``.
"""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from portal.accounts.models import Role

ROLES_NEEDING_MFA = {Role.CLINICIAN, Role.ADMIN}


class MFARequired(exceptions.PermissionDenied):
    default_detail = "Set up two-factor authentication (TOTP) before viewing patient data."
    default_code = "mfa_required"


def needs_mfa(user) -> bool:
    """True when this user must enrol MFA before seeing health data.

    Cached on the user object for the request: the check is one query.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    # Staff reach the admin site whatever their role says: they need MFA too.
    if getattr(user, "role", None) not in ROLES_NEEDING_MFA and not getattr(user, "is_staff", False):
        return False
    cached = getattr(user, "_aftercare_mfa_enabled", None)
    if cached is None:
        cached = is_mfa_enabled(user)
        user._aftercare_mfa_enabled = cached
    return not cached


class MFARequiredForHealthData(BasePermission):
    def has_permission(self, request, view) -> bool:
        if getattr(view, "health_data", True) and needs_mfa(request.user):
            raise MFARequired()
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
