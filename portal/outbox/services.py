"""Queue notifications. Delivery: ``portal.outbox.delivery``, run by ``portal.outbox.tasks``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from portal.outbox.models import Channel, Notification, NotificationStatus


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
    return _queue(
        key=f"{dedup_key}:user:{recipient.pk}:{channel}",
        values={"recipient": recipient},
        kind=kind,
        link=link,
        source=source,
        channel=channel,
    )


@dataclass(frozen=True)
class ToNotify:
    """One ``queue_notification`` call's arguments, for ``queue_notifications``."""

    recipient: Any
    kind: str
    dedup_key: str
    link: str = ""
    source: models.Model | None = None
    channel: str = Channel.EMAIL


def queue_notifications(wanted: Iterable[ToNotify]) -> int:
    """``queue_notification`` for many at once (an alert's care team and its patient,
    or a scan's alerts): one INSERT, each row once per key as there. A key queued before
    (a repeat, or a concurrent writer) is skipped by the unique key's ``ON CONFLICT DO
    NOTHING`` instead of one savepoint per row. Returns how many rows were offered."""
    rows = [
        Notification(
            recipient=n.recipient,
            dedup_key=f"{n.dedup_key}:user:{n.recipient.pk}:{n.channel}",
            channel=n.channel,
            kind=n.kind,
            link=n.link,
            source_type=n.source._meta.label_lower if n.source is not None else "",
            source_id=str(n.source.pk) if n.source is not None else "",
        )
        for n in wanted
        if getattr(n.recipient, "is_active", False) and getattr(n.recipient, "email", "")
    ]
    if not rows:
        return 0
    # The only unique key besides the id is ``dedup_key``: a conflict there is a row
    # already queued; the check constraint still raises.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    _deliver_on_commit()
    return len(rows)


def queue_notification_to_address(
    *,
    address: str,
    address_name: str,
    kind: str,
    dedup_key: str,
    link: str = "",
    source: models.Model | None = None,
    channel: str = Channel.EMAIL,
) -> Notification | None:
    """Add one notification for an address without an account (the clinic's on-call
    address), once per dedup key. ``address_name`` names the address in the key
    ("oncall"), so a changed address is not emailed twice for the same event."""
    if not address:
        return None
    return _queue(
        key=f"{dedup_key}:address:{address_name}:{channel}",
        values={"address": address},
        kind=kind,
        link=link,
        source=source,
        channel=channel,
    )


def _queue(
    *, key: str, values: dict[str, Any], kind: str, link: str, source: models.Model | None, channel: str
) -> Notification | None:
    try:
        # Insert first: the common case is a new key, and the unique constraint (in a
        # savepoint) settles a repeat or a concurrent writer of the same key.
        with transaction.atomic():
            notification = Notification.objects.create(
                dedup_key=key,
                channel=channel,
                kind=kind,
                link=link,
                source_type=source._meta.label_lower if source is not None else "",
                source_id=str(source.pk) if source is not None else "",
                **values,
            )
    except IntegrityError:
        if Notification.objects.filter(dedup_key=key).exists():
            return None  # queued before: never twice
        raise
    _deliver_on_commit()
    return notification


@transaction.atomic
def retry_notifications(*, ids: Iterable[int]) -> int:
    """An admin's "send again": failed rows go back to pending, due now, with a fresh
    set of attempts. Sent rows are never sent again."""
    count = Notification.objects.filter(id__in=list(ids), status=NotificationStatus.FAILED).update(
        status=NotificationStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claim_token=None
    )
    if count:
        _deliver_on_commit()
    return count


def _deliver_on_commit() -> None:
    # Queued after commit, so the worker always sees the row; robust, because a
    # broker that is down must not fail the request: the row is saved and the
    # every-minute beat delivers it.
    from portal.outbox.tasks import deliver_notifications

    transaction.on_commit(deliver_notifications.delay, robust=True)
