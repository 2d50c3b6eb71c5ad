"""The outbox's Celery task: thin, no arguments (never health data). Queued on
commit by ``portal.outbox.services`` and every minute by beat (portal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from portal.outbox.delivery import deliver_due_notifications


@shared_task(name="portal.outbox.tasks.deliver_notifications")
def deliver_notifications() -> dict:
    report = deliver_due_notifications()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
