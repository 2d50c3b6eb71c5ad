"""``triage_pool_empty``: true on a clinician's or admin's page while no active clinician
is in the clinic's triage pool (CLINICAL.md section 7). The alerts of a patient without
a care team then reach only the on-call address; the banner asks an admin to fix it.
One indexed EXISTS query, only for clinicians and admins."""

from __future__ import annotations

from portal.accounts.models import Role, User


def triage_pool(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not (user.role == Role.CLINICIAN or user.is_staff):
        return {}
    return {"triage_pool_empty": lambda: not User.objects.triage_pool().exists()}
