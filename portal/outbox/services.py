"""Queue notifications. Delivery lives with the alerts worker (alerts.tasks)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from portal.outbox.models import Channel, Notification


def queue_notification(
    *,
    recipient: Any,
    kind: str,
    dedup_key: str,
    link: str = "",
    source: models.Model | None = None,
    channel: str = Channel.EMAIL,
) -> Notification | None:
    """Add one notification to the outbox, once per dedup key.

    Returns the new row, or None when the same key was queued before. Call it
    inside the transaction that writes the event; delivery is triggered on commit.
    """
    if not getattr(recipient, "is_active", False) or not getattr(recipient, "email", ""):
        return None
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedup_key=f"{dedup_key}:user:{recipient.pk}:{channel}",
            defaults={
                "recipient": recipient,
                "channel": channel,
                "kind": kind,
                "link": link,
                "source_type": source._meta.label_lower if source is not None else "",
                "source_id": str(source.pk) if source is not None else "",
            },
        )
    if created:
        _deliver_on_commit()
    return notification if created else None


def _deliver_on_commit() -> None:
    # The delivery task belongs to the alerts app; found by name so portal stays
    # below it. Queued after commit, so the worker always sees the row; robust,
    # because a broker that is down must not fail the request: the row is saved
    # and the every-minute beat delivers it.
    from portal.celery import app

    transaction.on_commit(lambda: app.send_task("alerts.tasks.deliver_notifications"), robust=True)
