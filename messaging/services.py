"""Messaging writes. ``post_inbox_item`` is how every app feeds the triage inbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from messaging.models import PRIORITY_RANK, InboxItem, InboxPriority
from patients.models import Patient

DEFAULT_DUE = {
    InboxPriority.URGENT: timedelta(minutes=15),
    InboxPriority.HIGH: timedelta(hours=4),
    InboxPriority.NORMAL: None,  # one business day
}


def default_due_at(priority: str, *, now: datetime | None = None) -> datetime:
    """Due time by priority: urgent 15 min, high 4 h, normal the next business day
    (Friday to Sunday roll to Monday). Overridable with ``AFTERCARE_INBOX_DUE``."""
    now = now or timezone.now()
    configured = getattr(settings, "AFTERCARE_INBOX_DUE", {}).get(priority)
    if configured is not None:
        return now + configured
    delta = DEFAULT_DUE.get(priority)
    if delta is not None:
        return now + delta
    due = now + timedelta(days=1)
    while due.weekday() >= 5:  # Saturday, Sunday
        due += timedelta(days=1)
    return due


@transaction.atomic
def post_inbox_item(
    *,
    kind: str,
    patient: Patient,
    priority: str,
    summary: str,
    source: models.Model | None = None,
    source_type: str = "",
    source_id: str = "",
    link: str = "",
    due_at: datetime | None = None,
    addressed_to=None,
) -> InboxItem:
    """Add an item to the care team's inbox, once per source (idempotent).

    Posting again for the same source returns the existing item, raising its
    priority if the new one is higher.
    """
    if source is not None:
        source_type, source_id = source._meta.label_lower, str(source.pk)
    existing = InboxItem.objects.filter(source_type=source_type, source_id=source_id, kind=kind).first()
    if existing is None:
        try:
            with transaction.atomic():
                return InboxItem.objects.create(
                    kind=kind,
                    patient=patient,
                    priority=priority,
                    priority_rank=PRIORITY_RANK[priority],
                    due_at=due_at or default_due_at(priority),
                    summary=summary[:200],
                    link=link,
                    source_type=source_type,
                    source_id=source_id,
                    addressed_to=addressed_to,
                )
        except IntegrityError:
            # A concurrent post for the same source won; use its row.
            existing = InboxItem.objects.get(source_type=source_type, source_id=source_id, kind=kind)
    if PRIORITY_RANK[priority] < existing.priority_rank:
        existing.priority = priority
        existing.priority_rank = PRIORITY_RANK[priority]
        existing.due_at = min(existing.due_at, due_at or default_due_at(priority))
        existing.save(update_fields=["priority", "priority_rank", "due_at", "updated_at"])
    return existing
