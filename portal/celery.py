"""The Celery app and every beat schedule, in one place.

Tasks are thin: they take ids, never model objects or health data, and call a
service. Each schedule entry says why it runs when it does.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("aftercare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Expired sessions hold nothing useful; clear them nightly so the table stays small.
    "clear-expired-sessions": {
        "task": "portal.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    # Pattern rules and missed check-ins: the care team hears within a minute. Only
    # entries past the high-water mark are read, so a run costs what is new.
    "scan-symptom-logs": {
        "task": "alerts.tasks.scan_symptom_logs",
        "schedule": 60.0,
    },
    # Urgent alerts not acknowledged in time are emailed to the care team again;
    # every minute keeps the delay close to AFTERCARE_ALERT_ESCALATION_MINUTES.
    "escalate-overdue-alerts": {
        "task": "alerts.tasks.escalate_overdue_alerts",
        "schedule": 60.0,
    },
    # The outbox is also delivered on commit; this catches rows whose trigger was lost
    # (broker down) and retries due after backoff.
    "deliver-notifications": {
        "task": "portal.outbox.tasks.deliver_notifications",
        "schedule": 60.0,
    },
    # The nightly safety net: one window query over every entry creates any pattern
    # alert the incremental scan missed (idempotent: dedup keys). At a quiet hour.
    "full-symptom-rescan": {
        "task": "alerts.tasks.full_rescan",
        "schedule": crontab(hour=2, minute=41),
    },
}
