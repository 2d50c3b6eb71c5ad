"""The outbox's Celery task: thin, no arguments (never health data). Queued on
commit by ``portal.outbox.services`` and every minute by beat (portal/celery.py)."""

from __future__ import annotations

from portal.celery import app
from portal.outbox.delivery import deliver_due_notifications


# Bound to the project's Celery app itself (not ``shared_task``'s current app):
# queued from a request, it must reach the project's broker whatever app a library
# or a test made current.
@app.task(name="portal.outbox.tasks.deliver_notifications")
def deliver_notifications() -> dict:
    report = deliver_due_notifications()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
