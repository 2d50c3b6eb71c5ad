"""Stored texts with the clinic's numbers, and what a patient can do about an alert.

``{% load clinic_texts %}``, then:

- ``{% clinic_text alert.message %}``: the text with the clinic's numbers filled in
  (``portal.clinic.texts``);
- ``{% clinic_text_links card.message %}``: the same, the emergency number a tap-to-call link;
- ``{% care_actions severity audience %}``: the call buttons (urgent: the emergency
  number first, the clinic's phone beside it; contact_provider: the clinic's phone),
  who has been alerted, and when the clinic is closed, that it is, with the emergency
  instruction again (CLINICAL.md section 7).

The clinic is read once per request (``portal.request_scope``).
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from portal.clinic.selectors import Clinic, current_clinic
from portal.clinic.texts import URGENT_INSTRUCTION, with_clinic, with_clinic_links
from portal.request_scope import once_per_request

register = template.Library()


def clinic_of(context) -> Clinic:
    return once_per_request("clinic_for_texts", current_clinic)


@register.simple_tag(takes_context=True)
def page_clinic(context) -> Clinic:
    """``{% page_clinic as clinic %}``: the clinic's numbers for a banner or a button."""
    return clinic_of(context)


@register.simple_tag(takes_context=True)
def clinic_text(context, text: str) -> str:
    return with_clinic(text or "", clinic_of(context))


@register.simple_tag(takes_context=True)
def clinic_text_links(context, text: str):
    return with_clinic_links(text or "", clinic_of(context))


@register.simple_tag(takes_context=True)
def urgent_instruction(context):
    return with_clinic_links(URGENT_INSTRUCTION, clinic_of(context))


@register.inclusion_tag("portal/_care_actions.html", takes_context=True)
def care_actions(context, severity: str, audience: str = "", reachable: bool = True, buttons: bool = True) -> dict:
    clinic = clinic_of(context)
    now = timezone.now()
    is_open = clinic.is_open(now)
    return {
        "severity": severity,
        "buttons": buttons,
        "audience": audience,
        "reachable": reachable,
        "clinic": clinic,
        "clinic_closed": not is_open,
        "opens_at": None if is_open else clinic.next_opening(now),
        # When the clinic opens, in the reader's time zone whatever the page's.
        "reader_time_zone": getattr(getattr(context.get("request"), "user", None), "time_zone", "") or "UTC",
        "emergency_text": with_clinic_links(URGENT_INSTRUCTION, clinic),
    }
