"""Texts that name the clinic's numbers, filled when shown.

A stored text (an alert rule's words, an alert the patient was told) never holds
the emergency number itself: it holds ``{emergency_number}``, and whoever shows the
text fills it from the clinic's settings of the moment, so an admin's change reaches
every page at once. A page shows the number as a tap-to-call link
(``with_clinic_links``); an email or the API gets the plain text (``with_clinic``).
"""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from portal.clinic.selectors import Clinic, current_clinic

EMERGENCY_NUMBER = "{emergency_number}"
# Every clinic placeholder ``with_clinic`` fills (``_values``): an alert rule's words may
# use these (its admin form refuses any other unknown ``{name}``).
CLINIC_PLACEHOLDERS = ("emergency_number", "emergency_href", "clinic_phone", "clinic_phone_href")

# CLINICAL.md, severity levels: the first words of every urgent text, never conditional
# on failing to reach the clinic.
URGENT_INSTRUCTION = (
    "This needs medical attention now. Call {emergency_number} or go to the nearest emergency department."
)
CONTACT_INSTRUCTION = "Contact your care team today."


def _values(clinic: Clinic) -> dict[str, str]:
    # One key per name of CLINIC_PLACEHOLDERS (tests/alerts/test_rule_parameters.py).
    return {
        "{emergency_number}": clinic.emergency_number,
        "{emergency_href}": clinic.emergency_href,
        "{clinic_phone}": clinic.phone,
        "{clinic_phone_href}": clinic.phone_href,
    }


def with_clinic(text: str, clinic: Clinic | None = None) -> str:
    """``text`` with the clinic's numbers in place of their placeholders."""
    if "{" not in text:
        return text
    clinic = clinic or current_clinic()
    for placeholder, value in _values(clinic).items():
        text = text.replace(placeholder, value)
    return text


def with_clinic_links(text: str, clinic: Clinic | None = None) -> SafeString:
    """``text`` escaped for a page, the emergency number a tap-to-call link."""
    if EMERGENCY_NUMBER not in text:
        return escape(with_clinic(text, clinic))
    clinic = clinic or current_clinic()
    link = format_html('<a href="{}">{}</a>', clinic.emergency_href, clinic.emergency_number)
    # Every part is escaped; the link is format_html's.
    return mark_safe(link.join(escape(with_clinic(part, clinic)) for part in text.split(EMERGENCY_NUMBER)))


def urgent_instruction(clinic: Clinic | None = None) -> str:
    return with_clinic(URGENT_INSTRUCTION, clinic)


def without_urgent_instruction(text: str, clinic: Clinic | None = None) -> str:
    """A rule's words after the emergency instruction they start with, filled in or not
    (a page shows the instruction once, first, with its call buttons)."""
    if not text.startswith(URGENT_INSTRUCTION[:20]):
        return text
    for prefix in (URGENT_INSTRUCTION, urgent_instruction(clinic)):
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip()
    return text
