"""``{% load clinic_texts %}`` then ``{% clinic_text alert.message %}``: a stored text
with the clinic's numbers filled in (``portal.clinic.texts``), the clinic read once
per request."""

from __future__ import annotations

from django import template

from portal.clinic.selectors import current_clinic
from portal.clinic.texts import with_clinic

register = template.Library()


@register.simple_tag(takes_context=True)
def clinic_text(context, text: str) -> str:
    request = context.get("request")
    clinic = getattr(request, "_clinic_for_texts", None)
    if clinic is None:
        clinic = current_clinic()
        if request is not None:
            request._clinic_for_texts = clinic
    return with_clinic(text or "", clinic)
