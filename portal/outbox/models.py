"""The notification outbox: one row per recipient, channel and event.

A notification is written in the same transaction as what caused it (an alert,
a message, a released lab report), so nothing depends on a worker being up. A
worker claims due rows, sends outside the lock, and records the outcome: status,
attempts, next attempt, last error. ``dedup_key`` is unique, so the same event
can never queue the same email twice.

The email text carries no health data: a fixed sentence per ``kind`` and a link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email", "Email"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    # A person with an account, or an address without one (the clinic's on-call
    # address): exactly one of the two.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications", null=True, blank=True
    )
    address = models.EmailField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    # What kind of event: picks the fixed, PHI-free text ("alert", "alert_urgent",
    # "message", "lab_released", "reminder", "escalation", ...).
    kind = models.CharField(max_length=32)
    # Unique per event, recipient and channel, e.g. "alert:17:user:4:email" or "alert:17:address:oncall:email".
    dedup_key = models.CharField(max_length=200, unique=True)
    link = models.CharField(max_length=300, blank=True)  # a path on the portal, no health data
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which claim owns a "sending" row: a worker marks only rows it still owns, so a
    # stale claim taken over by another worker is never marked twice.
    claim_token = models.UUIDField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(recipient__isnull=False) & models.Q(address=""))
                | (models.Q(recipient__isnull=True) & ~models.Q(address="")),
                name="notification_recipient_or_address",
            ),
        ]
        indexes = [
            # The delivery worker's claim query: due rows that are still pending.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_pending",
                condition=models.Q(status="pending"),
            ),
            # The delivery worker's reclaim of stale claims (a worker died while sending).
            models.Index(
                fields=["claimed_at"],
                name="outbox_sending_claimed",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["source_type", "source_id"], name="outbox_source"),
            # /readyz, the banner and /metrics (portal.operations.pipeline.pipeline_status):
            # the oldest notification still waiting, and the failures of the last 24 hours.
            models.Index(
                fields=["created_at"],
                name="outbox_waiting_created",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["claimed_at"], name="outbox_failed_claimed", condition=models.Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id or 'an address'} ({self.status})"

    @property
    def to_address(self) -> str:
        return self.recipient.email if self.recipient_id else self.address
