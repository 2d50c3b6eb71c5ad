"""Celery tasks: thin wrappers that take no arguments (never health data) and call
the scan and the escalation (the outbox's delivery task is portal.outbox.tasks).
Beat schedules: portal/celery.py."""

from __future__ import annotations

import time

from celery import shared_task

from alerts import scan, services
from portal.operations.models import Heartbeat
from portal.operations.pipeline import record_heartbeat


def scan_with_heartbeat() -> scan.ScanReport:
    """One incremental scan; a run that did its work moves the scan's heartbeat
    (portal.operations: /readyz, the banner, /metrics). A run that found another
    worker scanning leaves the beat to that one."""
    started = time.monotonic()
    report = scan.scan_symptom_logs()
    if report.ran:
        record_heartbeat(name=Heartbeat.SCAN, duration_s=time.monotonic() - started, processed=report.entries)
    return report


@shared_task(name="alerts.tasks.scan_symptom_logs")
def scan_symptom_logs() -> dict:
    report = scan_with_heartbeat()
    return {"ran": report.ran, "alerts": report.alerts_created, "reminders": report.reminders}


@shared_task(name="alerts.tasks.full_rescan")
def full_rescan() -> dict:
    report = scan.full_rescan()
    return {"ran": report.ran, "alerts": report.alerts_created}


@shared_task(name="alerts.tasks.escalate_overdue_alerts")
def escalate_overdue_alerts() -> int:
    return services.escalate_overdue_alerts()
