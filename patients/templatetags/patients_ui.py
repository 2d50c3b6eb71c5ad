"""Template helpers of the patients pages: the "day N" banner, temperatures."""

from __future__ import annotations

from django import template

from patients.models import Procedure
from patients.presenters import local
from patients.references import references_for
from patients.selectors import day_since_procedure
from portal.accounts.models import Role
from portal.request_scope import once_per_request

register = template.Library()


@register.inclusion_tag("patients/_day_banner_inner.html", takes_context=True)
def day_banner(context, patient=None):
    """Day N since the procedure: the signed-in patient's own, or ``patient``'s
    on a clinician's page. One query, once per request (``portal.request_scope``)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if patient is None and (user is None or not user.is_authenticated or user.role != Role.PATIENT):
        return {"show": False}

    def banner() -> dict:
        procedures = Procedure.objects.order_by("-performed_at")
        procedure = (
            procedures.filter(patient=patient).first()
            if patient is not None
            else procedures.filter(patient__user=user).first()
        )
        return {
            "show": procedure is not None,
            "day": day_since_procedure(procedure),
            "performed_at": local(procedure.performed_at, user) if procedure else None,
            "own": patient is None,
        }

    return once_per_request(("day_banner", user.pk if user else None, patient.pk if patient else "own"), banner)


@register.filter
def references(keys) -> list:
    """``{{ option.citations|references }}``: citation keys as readable references."""
    return references_for(keys)
