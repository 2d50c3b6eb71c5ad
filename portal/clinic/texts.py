"""Texts that name the clinic's numbers, filled when shown.

A stored text (an alert rule's words, an alert the patient was told) never holds
the emergency number itself: it holds ``{emergency_number}``, and whoever shows the
text fills it from the clinic's settings of the moment, so an admin's change reaches
every page at once.
"""

from __future__ import annotations

from portal.clinic.selectors import Clinic, current_clinic

EMERGENCY_NUMBER = "{emergency_number}"


def with_clinic(text: str, clinic: Clinic | None = None) -> str:
    """``text`` with the clinic's numbers in place of their placeholders."""
    if EMERGENCY_NUMBER not in text:
        return text
    clinic = clinic or current_clinic()
    return text.replace(EMERGENCY_NUMBER, clinic.emergency_number)
