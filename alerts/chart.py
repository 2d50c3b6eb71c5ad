"""The alerts panel of the clinician's patient chart (gathered by the patients app)."""

from __future__ import annotations

from django.template.loader import render_to_string

from alerts.models import AlertStatus
from portal.audit.services import audit_read


def panels(request, patient) -> list[str]:
    if getattr(request.user, "role", None) != "clinician":
        return []
    alerts = list(patient.alerts.select_related("rule", "acknowledged_by", "resolved_by").order_by("-created_at")[:20])
    audit_read(user=request.user, patient_id=patient.pk, request=request, action="alerts.read")
    # Unresolved before resolved and urgent before the rest; newest first within each (a stable sort).
    alerts.sort(key=lambda a: (a.status == AlertStatus.RESOLVED, a.severity != "urgent"))
    open_count = sum(a.status != AlertStatus.RESOLVED for a in alerts)
    return [
        render_to_string(
            "alerts/_chart_panel.html",
            {"patient": patient, "alerts": alerts, "open_count": open_count, "is_clinician": True},
            request=request,
        )
    ]
