"""Home-page panels: the clinician's inbox at a glance (overdue counted and
highlighted), the patient's unread messages."""

from __future__ import annotations

from django.template.loader import render_to_string

from messaging import selectors
from portal.accounts.models import Role
from portal.permissions import needs_mfa


def panels(request) -> list[str]:
    user = request.user
    if user.role == Role.CLINICIAN and not needs_mfa(user):
        counts = selectors.inbox_counts(user)
        return [render_to_string("messaging/_dashboard_clinician.html", {"counts": counts}, request=request)]
    if user.role == Role.PATIENT:
        unread = selectors.unread_message_count(user)
        return [render_to_string("messaging/_dashboard_patient.html", {"unread": unread}, request=request)]
    return []
