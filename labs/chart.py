"""The labs panel of the clinician's patient chart (gathered by the patients app)."""

from __future__ import annotations

from django.template.loader import render_to_string

from labs import selectors
from portal.accounts.models import Role
from portal.audit.services import audit_read


def panels(request, patient) -> list[str]:
    user = request.user
    if user.role != Role.CLINICIAN:
        return []
    reports = list(selectors.lab_reports_of(user, patient)[:10])
    lab_requests = list(selectors.lab_requests_of(user, patient)[:10])
    if reports or lab_requests:
        audit_read(user=user, patient_id=patient.pk, request=request, action="lab_report.list")
    context = {"patient": patient, "reports": reports, "lab_requests": lab_requests}
    return [render_to_string("labs/panel_chart.html", context, request=request)]
