"""Messaging and the clinician triage inbox.

``InboxItem`` is the one queue every app posts into (messages, alerts, lab
requests, referrals). It stores a short summary and a link, never a copy of the
health data, and it never imports the apps that post into it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.models import Patient


class InboxKind(models.TextChoices):
    MESSAGE = "message", "Message"
    ALERT = "alert", "Alert"
    LAB_REQUEST = "lab_request", "Lab request"
    LAB_RESULT = "lab_result", "Lab result to review"
    REFERRAL = "referral", "Referral"


class InboxPriority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


class InboxStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"


# Sort key for "urgent first": a smaller rank sorts first.
PRIORITY_RANK = {InboxPriority.URGENT: 0, InboxPriority.HIGH: 1, InboxPriority.NORMAL: 2}


class InboxItem(models.Model):
    kind = models.CharField(max_length=16, choices=InboxKind.choices)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="inbox_items")
    priority = models.CharField(max_length=8, choices=InboxPriority.choices, default=InboxPriority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    status = models.CharField(max_length=16, choices=InboxStatus.choices, default=InboxStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="inbox_items"
    )
    # For a referral: the clinician it was sent to (only they see it).
    addressed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField()
    summary = models.CharField(max_length=200)  # what happened, minimal health data
    link = models.CharField(max_length=300, blank=True)  # the page that shows the details
    # What posted it ("alerts.alert", "17"): posting is idempotent per source.
    source_type = models.CharField(max_length=64)
    source_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority_rank", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id", "kind"], name="inbox_one_item_per_source"),
        ]
        indexes = [
            # The triage queue: open items, urgent first, then oldest due.
            models.Index(
                fields=["priority_rank", "due_at", "id"], condition=~Q(status="done"), name="inbox_open_queue"
            ),
            models.Index(fields=["patient", "status"], name="inbox_patient_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
