"""Home page panels: a patient's latest results and requests; a clinician's lab work waiting."""

from __future__ import annotations

from django.template.loader import render_to_string

from labs import selectors
from patients.models import Patient
from portal.accounts.models import Role
from portal.permissions import needs_mfa


def panels(request) -> list[str]:
    user = request.user
    if user.role == Role.PATIENT:
        patient = Patient.objects.filter(user=user).first()
        if patient is None:
            return []
        context = {
            "reports": list(selectors.lab_reports_of(user, patient)[:3]),
            "lab_requests": list(selectors.lab_requests_of(user, patient)[:3]),
        }
        return [render_to_string("labs/panel_patient.html", context, request=request)]
    if user.role == Role.CLINICIAN and not needs_mfa(user):
        pending = selectors.pending_lab_requests_for(user)
        context = {
            "pending_count": pending.count(),
            "next_due": pending.values_list("due_at", flat=True).first(),
            "unreleased_count": selectors.unreleased_reports_for_clinician(user).count(),
        }
        return [render_to_string("labs/panel_clinician.html", context, request=request)]
    return []
