"""Home page panel: the feedback card, for a patient from day 3 until they answer."""

from __future__ import annotations

from django.template.loader import render_to_string

from patients.selectors import own_patient
from portal.accounts.models import Role
from quality.forms import FeedbackForm
from quality.selectors import feedback_state


def panels(request) -> list[str]:
    if getattr(request.user, "role", None) != Role.PATIENT:
        return []
    state = feedback_state(own_patient(request.user))
    if not state.due:
        return []
    return [render_to_string("quality/_feedback_card.html", {"form": FeedbackForm(), "card": True}, request=request)]
