"""Template helpers of the patients pages: the "day N" banner, temperatures."""

from __future__ import annotations

from django import template

from patients.models import Procedure
from patients.presenters import local
from patients.references import references_for
from patients.selectors import day_since_procedure
from portal.accounts.models import Role

register = template.Library()


@register.inclusion_tag("patients/_day_banner_inner.html", takes_context=True)
def day_banner(context, patient=None):
    """Day N since the procedure: the signed-in patient's own, or ``patient``'s
    on a clinician's page. One query, once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if patient is None and (user is None or not user.is_authenticated or user.role != Role.PATIENT):
        return {"show": False}
    cache_key = f"_patients_day_banner_{patient.pk if patient else 'own'}"
    cached = getattr(request, cache_key, None)
    if cached is None:
        procedures = Procedure.objects.order_by("-performed_at")
        procedure = (
            procedures.filter(patient=patient).first()
            if patient is not None
            else procedures.filter(patient__user=user).first()
        )
        cached = {
            "show": procedure is not None,
            "day": day_since_procedure(procedure),
            "performed_at": local(procedure.performed_at, user) if procedure else None,
            "own": patient is None,
        }
        setattr(request, cache_key, cached)
    return cached


@register.filter
def references(keys) -> list:
    """``{{ option.citations|references }}``: citation keys as readable references."""
    return references_for(keys)
