"""Deliver the outbox by email: claim, send outside the lock, record the outcome.

Called by ``portal.outbox.tasks.deliver_notifications`` (queued on commit by
``queue_notification`` and every minute by beat) and ``manage.py deliver_notifications``.
Any number of workers may run this at once: a row is claimed by exactly one of them
(``select_for_update(skip_locked=True)``), and a worker marks only rows its claim
still owns, and within one worker its pool processes take turns (``sending_turn``).
A worker that dies mid-batch leaves "sending" rows; after
``AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS`` they are reclaimed and sent again
(at-least-once after a crash; exactly once otherwise).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.clinic.selectors import Clinic, current_clinic
from portal.operations.models import Heartbeat
from portal.operations.pipeline import record_heartbeat
from portal.outbox.models import Notification, NotificationStatus
from portal.outbox.texts import render_email

logger = logging.getLogger(__name__)

# A batch never runs longer than the Celery soft time limit: stop after this many.
MAX_BATCHES_PER_RUN = 50


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reclaimed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.reclaimed += other.reclaimed


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base * 2**(attempts-1), capped."""
    base = settings.AFTERCARE_NOTIFICATION_BACKOFF_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), settings.AFTERCARE_NOTIFICATION_BACKOFF_MAX_SECONDS)
    return timedelta(seconds=seconds)


def reclaim_stale_claims() -> int:
    """Rows stuck in "sending" past the claim timeout go back to "pending".

    A conditional update: two workers doing this at once reclaim each row once.
    Uses the partial index ``outbox_sending_claimed``."""
    cutoff = timezone.now() - timedelta(seconds=settings.AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS)
    return Notification.objects.filter(status=NotificationStatus.SENDING, claimed_at__lt=cutoff).update(
        status=NotificationStatus.PENDING, claim_token=None, claimed_at=None, last_error="claim timed out"
    )


def claim_due(*, batch_size: int) -> tuple[uuid.UUID, list[Notification]]:
    """Claim up to ``batch_size`` due pending rows for this worker.

    ``skip_locked`` lets concurrent workers claim disjoint rows without waiting; the
    query walks the partial index ``outbox_due_pending``. The lock is held only for
    this short transaction: sending happens after commit."""
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:batch_size]
        )
        if ids:
            Notification.objects.filter(id__in=ids).update(
                status=NotificationStatus.SENDING, claimed_at=now, claim_token=token
            )
    rows = list(Notification.objects.filter(id__in=ids, claim_token=token).select_related("recipient").order_by("id"))
    return token, rows


def _audience(notification: Notification) -> str:
    if notification.recipient_id is None:
        return "address"  # the clinic's on-call address
    return "patient" if getattr(notification.recipient, "role", "") == "patient" else "clinician"


def _message(notification: Notification, connection, clinic: Clinic) -> EmailMessage:
    subject, body = render_email(
        kind=notification.kind, audience=_audience(notification), link=notification.link, clinic=clinic
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_address],
        connection=connection,
        # The outbox row, for tracing and de-duplication at the receiving end (no health data).
        headers={"X-Aftercare-Notification": str(notification.pk)},
    )


def _error_text(exc: BaseException) -> str:
    # The class and SMTP code only: server replies may echo addresses.
    code = getattr(exc, "smtp_code", None)
    return f"{type(exc).__name__}{f' {code}' if code else ''}"[:500]


def _mark_sent(ids: list[int], token: uuid.UUID) -> int:
    if not ids:
        return 0
    return Notification.objects.filter(id__in=ids, claim_token=token, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error="",
        claim_token=None,
    )


def _mark_failed(notification: Notification, token: uuid.UUID, error: str) -> str:
    attempts = notification.attempts + 1
    if attempts >= settings.AFTERCARE_NOTIFICATION_MAX_ATTEMPTS:
        status, next_attempt = NotificationStatus.FAILED, notification.next_attempt_at
    else:
        status, next_attempt = NotificationStatus.PENDING, timezone.now() + backoff(attempts)
    Notification.objects.filter(id=notification.id, claim_token=token, status=NotificationStatus.SENDING).update(
        status=status, attempts=attempts, next_attempt_at=next_attempt, last_error=error, claim_token=None
    )
    return status


def send_claimed(token: uuid.UUID, rows: list[Notification]) -> DeliveryReport:
    """Send claimed rows over one connection; record each outcome.

    A row is marked sent as soon as the server accepted its message, before the next
    one goes: a worker killed mid-batch re-sends at most the one email accepted just
    before it died. When the connection fails, the rest of the batch is retried
    later (backoff)."""
    report = DeliveryReport(claimed=len(rows))
    if not rows:
        return report
    connection = get_connection(fail_silently=False)
    clinic = current_clinic()  # the numbers the texts name, read once per batch
    open_error: str | None = None
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        open_error = _error_text(exc)
    try:
        for notification in rows:
            error = open_error
            if error is None:
                try:
                    accepted = _message(notification, connection, clinic).send()
                    error = None if accepted == 1 else "not accepted"
                except (smtplib.SMTPException, OSError) as exc:
                    error = _error_text(exc)
                    # The connection may be broken: try a fresh one for the next row.
                    try:
                        connection.close()
                        connection.open()
                    except (smtplib.SMTPException, OSError) as reopen_exc:
                        open_error = _error_text(reopen_exc)
            if error is None:
                _mark_sent([notification.id], token)
                report.sent += 1
            elif _mark_failed(notification, token, error) == NotificationStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
    finally:
        # (A crash leaves the unsent rest "sending": reclaimed after the claim timeout.)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    if report.retried or report.failed:
        logger.warning(
            "Outbox: %s sent, %s to retry, %s failed in a batch of %s",
            report.sent,
            report.retried,
            report.failed,
            report.claimed,
        )
    return report


@contextlib.contextmanager
def sending_turn():
    """One process of a worker sends at a time (its pool processes take turns).

    An email the server has accepted but whose row is not yet marked sent goes again
    if its process dies; taking turns, a worker that is killed, pool and all, has at
    most one such email, so it costs at most one duplicate. The lock is an flock on a
    file of the worker's var folder: the kernel drops it with a killed process."""
    with open(settings.VAR_DIR / "outbox-sending.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def deliver_due_notifications(*, batch_size: int | None = None) -> DeliveryReport:
    """Send every due notification.

    1. Reclaim rows whose claim timed out (their worker died).
    2. Wait for this worker's sending turn (``sending_turn``).
    3. Claim a batch of due pending rows (skip_locked; short transaction).
    4. Send the batch outside any transaction, over one SMTP connection.
    5. Mark each row sent, or pending with backoff, or failed after the last attempt.
    6. Repeat while batches come back full (bounded per run).
    7. Move the delivery heartbeat and its totals (portal.operations: /readyz, /metrics).
    """
    started = time.monotonic()
    batch_size = batch_size or settings.AFTERCARE_NOTIFICATION_BATCH_SIZE
    report = DeliveryReport(reclaimed=reclaim_stale_claims())
    for _ in range(MAX_BATCHES_PER_RUN):
        with sending_turn():
            token, rows = claim_due(batch_size=batch_size)
            batch = send_claimed(token, rows)
        report.add(batch)
        if len(rows) < batch_size or batch.sent == 0:
            break
    record_heartbeat(
        name=Heartbeat.DELIVERY,
        duration_s=time.monotonic() - started,
        processed=report.sent,
        retried=report.retried,
        failed=report.failed,
    )
    return report
