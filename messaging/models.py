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
PRIORITY_RANK: dict[str, int] = {InboxPriority.URGENT: 0, InboxPriority.HIGH: 1, InboxPriority.NORMAL: 2}


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
    # Shown to the clinic's triage pool as well as the care team: an escalated urgent
    # alert (CLINICAL.md section 7). Items of patients without a care team reach the
    # pool whatever this says (messaging.selectors.inbox_items_for).
    shared_with_triage = models.BooleanField(default=False)
    # A patient's message of this item mentions a red flag (CLINICAL.md section 8):
    # the row says so. Which word matched is never stored (messaging.red_flags).
    red_flag = models.BooleanField(default=False)
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
            # A clinician's queue over their care team: per patient, open items in
            # queue order, carrying every column the filters and counts read, so
            # the page's ids and its counts come from index-only scans; the 50
            # full rows are fetched afterwards by id (bench/inbox.py).
            models.Index(
                fields=["patient", "priority_rank", "due_at", "id", "kind", "assignee", "addressed_to"],
                condition=~Q(status="done"),
                name="inbox_open_by_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Thread(models.Model):
    """A conversation about one patient, between the patient and their care team.

    The subject is sealed like the bodies: patients write symptoms into subjects.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="threads")
    subject_sealed = models.BinaryField()  # portal.crypto, context "thread:<pk>"
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    # Not a column: on the thread ``start_thread`` returns, whether the patient's words
    # mention a red flag (CLINICAL.md section 8); the API answers it.
    red_flag: bool = False

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            # A patient's threads, most recent first (patient page, chart panel).
            models.Index(fields=["patient", "-last_message_at"], name="thread_patient_recent"),
        ]

    def __str__(self) -> str:
        return f"Thread #{self.pk}"

    @property
    def seal_context(self) -> str:
        return f"thread:{self.pk}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body_sealed = models.BinaryField()  # portal.crypto, context "message:<pk>"
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: on the message ``post_message`` returns, as ``Thread.red_flag``.
    red_flag: bool = False

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at", "id"], name="message_thread_time")]

    def __str__(self) -> str:
        return f"Message #{self.pk}"

    @property
    def seal_context(self) -> str:
        return f"message:{self.pk}"


class Attachment(models.Model):
    """An image or PDF on a message. Content and file name are sealed; the type was
    detected from the content itself, never taken from the name or the browser."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    filename_sealed = models.BinaryField()  # context "attachment_name:<pk>"
    content_sealed = models.BinaryField()  # context "attachment:<pk>"; never loaded by list queries
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()  # plaintext bytes
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Attachment #{self.pk}"

    @property
    def seal_context(self) -> str:
        return f"attachment:{self.pk}"

    @property
    def filename_seal_context(self) -> str:
        return f"attachment_name:{self.pk}"


class MessageRead(models.Model):
    """A read receipt: this participant had this message on screen at ``read_at``."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [
            # One receipt per reader; its (message, user) index answers "unread for me".
            models.UniqueConstraint(fields=["message", "user"], name="one_read_per_message_user"),
        ]

    def __str__(self) -> str:
        return f"Read of message #{self.message_id} by #{self.user_id}"


class ThreadForward(models.Model):
    """A clinician sent the case to a colleague on the patient's care team."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="forwards")
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note_sealed = models.BinaryField()  # context "thread_forward:<pk>" (sealed even when empty); clinicians only
    priority = models.CharField(max_length=8, choices=InboxPriority.choices, default=InboxPriority.NORMAL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Forward #{self.pk}"

    @property
    def seal_context(self) -> str:
        return f"thread_forward:{self.pk}"


class RedFlagTerm(models.Model):
    """A word or phrase that makes a patient's message a red-flag message (CLINICAL.md
    section 8): the patient is shown the urgent instruction before sending, and the
    inbox item is high priority, due within the clinic's red-flag response time.

    Matched as a whole word or phrase, whatever the case (``messaging.red_flags``);
    stored in lower case, one row per phrase. Seeded by a data migration; admins edit."""

    phrase = models.CharField(
        max_length=60,
        unique=True,
        help_text="A word or phrase, matched whole and whatever the case (e.g. 'stiff neck' or 'numb').",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["phrase"]
        verbose_name = "red-flag word"

    def __str__(self) -> str:
        return self.phrase
