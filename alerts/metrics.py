"""The alerts' figures for ``/metrics`` (registered in ``AlertsConfig.ready``).

Counted from the rows themselves at scrape time: alerts are raised by web processes
(instant rules) and by workers (the scan), and an alert row is never deleted, so the
count by severity is a counter that every process agrees on. Labels: the severity
only."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily

from alerts.models import Alert, Severity
from portal.operations.metrics import counts_by


def alert_metrics() -> Iterable[CounterMetricFamily]:
    raised = CounterMetricFamily("aftercare_alerts_raised", "Alerts raised, by severity.", labels=["severity"])
    counts = counts_by(Alert.objects.all(), "severity")
    for severity in Severity.values:
        raised.add_metric([severity], counts.get(severity, 0))
    yield raised
    yield CounterMetricFamily(
        "aftercare_alert_escalations",
        "Urgent alerts emailed to the care team again because nobody acknowledged them in time.",
        value=Alert.objects.filter(escalated_at__isnull=False).count(),
    )
