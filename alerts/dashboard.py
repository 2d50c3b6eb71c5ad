"""Home page panel: the patient's recent alerts, or the clinician's unresolved ones."""

from __future__ import annotations

from django.db.models import Case, Value, When
from django.template.loader import render_to_string

from alerts import selectors
from alerts.models import AlertStatus
from portal.audit.services import audit_read


def panels(request) -> list[str]:
    user = request.user
    if getattr(user, "role", None) not in ("patient", "clinician"):
        return []
    is_clinician = user.role == "clinician"
    alerts = selectors.alert_list_for(user).select_related("patient__user")
    if is_clinician:
        # Urgent first (what a clinician must see before anything else), then newest.
        urgent_first = Case(When(severity="urgent", then=Value(0)), default=Value(1))
        alerts = alerts.exclude(status=AlertStatus.RESOLVED).order_by(urgent_first, "-created_at", "-id")
    alerts = list(alerts[:5])
    if is_clinician:
        # The panel names each patient and what fired (health data): one read event per patient.
        audit_read(
            user=user,
            patient_ids=[alert.patient_id for alert in alerts],
            request=request,
            action="alerts.dashboard.read",
        )
    return [
        render_to_string(
            "alerts/_dashboard_panel.html",
            {"alerts": alerts, "is_clinician": is_clinician},
            request=request,
        )
    ]
