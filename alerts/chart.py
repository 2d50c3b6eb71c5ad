"""The alerts panel of the clinician's patient chart (gathered by the patients app).

Open alerts are grouped by the rule that raised them: one line per rule with its
count, highest severity and newest time, the alerts themselves folded under it (a
patient whose pain score rose twelve times is one line, not twelve cards). Resolved
alerts are history, folded at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from alerts.models import Alert, AlertStatus, Severity
from portal.audit.services import audit_read

# The chart is a summary: enough open alerts for any real episode, the newest resolved ones.
OPEN_SHOWN = 200
RESOLVED_SHOWN = 20
SEVERITY_RANK = {Severity.URGENT: 0, Severity.CONTACT_PROVIDER: 1}


@dataclass
class AlertGroup:
    title: str
    alerts: list[Alert] = field(default_factory=list)

    @property
    def newest(self) -> Alert:
        return self.alerts[0]

    @property
    def severity(self) -> str:
        return min((a.severity for a in self.alerts), key=lambda s: SEVERITY_RANK.get(s, 9))

    @property
    def not_seen(self) -> int:
        return sum(a.status == AlertStatus.OPEN for a in self.alerts)


def open_alert_groups(alerts: list[Alert]) -> list[AlertGroup]:
    """``alerts`` newest first -> groups by rule, urgent first, then the newest."""
    groups: dict[int, AlertGroup] = {}
    for alert in alerts:
        groups.setdefault(alert.rule_id, AlertGroup(title=alert.rule.summary)).alerts.append(alert)
    return sorted(groups.values(), key=lambda g: (SEVERITY_RANK.get(g.severity, 9), -g.newest.created_at.timestamp()))


def panels(request, patient) -> list[str]:
    if getattr(request.user, "role", None) != "clinician":
        return []
    related = ("rule", "acknowledged_by", "resolved_by")
    unresolved = list(
        patient.alerts.exclude(status=AlertStatus.RESOLVED)
        .select_related(*related)
        .order_by("-created_at")[: OPEN_SHOWN + 1]
    )
    resolved = list(
        patient.alerts.filter(status=AlertStatus.RESOLVED)
        .select_related(*related)
        .order_by("-created_at")[:RESOLVED_SHOWN]
    )
    audit_read(user=request.user, patient_id=patient.pk, request=request, action="alerts.read")
    context = {
        "patient": patient,
        "groups": open_alert_groups(unresolved[:OPEN_SHOWN]),
        "open_count": len(unresolved[:OPEN_SHOWN]),
        "more_open": len(unresolved) > OPEN_SHOWN,
        "resolved": resolved,
    }
    return [render_to_string("alerts/_chart_panel.html", context, request=request)]
