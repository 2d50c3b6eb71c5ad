"""Threads and messages: starting a conversation, replying, read receipts and
forwarding a case to a colleague.

Bodies, subjects, attachments and forwarding notes are sealed (``portal.crypto``)
in the transaction that creates their row: the row's id is part of the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from messaging.models import (
    PRIORITY_RANK,
    Attachment,
    InboxItem,
    InboxKind,
    InboxPriority,
    InboxStatus,
    Message,
    MessageRead,
    Thread,
    ThreadForward,
)
from messaging.red_flags import mentions_red_flag
from messaging.services.attachments import CheckedAttachment, check_attachments
from messaging.services.inbox import _apply_status, default_due_at, post_inbox_item
from patients.models import Patient
from patients.routing import Audience, responsible_for
from patients.selectors import is_on_care_team, patient_for
from portal.accounts.models import Role, User
from portal.audit.services import record_audit
from portal.clinic.selectors import current_clinic
from portal.crypto import seal, seal_text
from portal.outbox.models import Notification
from portal.outbox.services import queue_notification, queue_notification_to_address
from portal.validation import NOT_TEXT, REQUIRED, FieldErrors, object_id, text

MAX_BODY_CHARS = 10_000
MAX_SUBJECT_CHARS = 200
MAX_NOTE_CHARS = 2_000
DEFAULT_SUBJECT = "Message to the care team"
NEW_MESSAGE_SUMMARY = "New message from patient"
RED_FLAG_SUMMARY = "New message from patient: mentions a warning sign"
# At most one new-message email per thread and recipient in this window.
NOTIFY_WINDOW = timedelta(minutes=15)


def check_subject(subject: object) -> str:
    if subject is None:
        subject = ""
    if not isinstance(subject, str):
        raise ValidationError({"subject": [NOT_TEXT]})
    subject = " ".join(subject.split())  # one line: subjects show in lists
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ValidationError({"subject": [f"Keep the subject to {MAX_SUBJECT_CHARS} characters or fewer."]})
    return subject or DEFAULT_SUBJECT


def check_body(body: object) -> str:
    """Required text, at most ``MAX_BODY_CHARS`` once trimmed (API.md)."""
    return text(body, field="body", max_length=MAX_BODY_CHARS, required=True)


def check_note(note: object) -> str:
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ValidationError({"note": [NOT_TEXT]})
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationError({"note": [f"Keep the note to {MAX_NOTE_CHARS} characters or fewer."]})
    return note


def _check_participant(user: User, thread: Thread) -> None:
    """Defence in depth: views resolve threads with ``thread_for`` already. A clinician
    takes part on the care team, or from the triage pool while the patient has none."""
    from messaging.selectors import threads_visible_to

    if user.role == Role.PATIENT and thread.patient.user_id == user.pk:
        return
    if user.role == Role.CLINICIAN and user.is_active and threads_visible_to(user).filter(pk=thread.pk).exists():
        return
    raise Http404


def _thread_link(thread: Thread) -> str:
    return reverse("messaging:thread", args=[thread.pk])


def _add_message(*, thread: Thread, author: User, body: str, files: list[CheckedAttachment], now: datetime) -> Message:
    # The context names the row, so the row exists before its blob is sealed;
    # both writes are in the caller's transaction.
    message = Message.objects.create(thread=thread, author=author, body_sealed=b"", created_at=now)
    message.body_sealed = seal_text(body, context=message.seal_context)
    message.save(update_fields=["body_sealed"])
    for file in files:
        attachment = Attachment.objects.create(
            message=message,
            filename_sealed=b"",
            content_sealed=b"",
            content_type=file.content_type,
            size=len(file.content),
            created_at=now,
        )
        attachment.content_sealed = seal(file.content, context=attachment.seal_context)
        attachment.filename_sealed = seal_text(file.filename, context=attachment.filename_seal_context)
        attachment.save(update_fields=["content_sealed", "filename_sealed"])
    return message


@transaction.atomic
def start_thread(
    *,
    author: User,
    subject: object,
    body: object,
    patient: Patient | None = None,
    patient_id: object = None,
    attachments: Sequence[Any] = (),
) -> Thread:
    """A new conversation: a patient writes to their care team, or a care-team
    clinician writes to a patient (``patient``, or ``patient_id`` as a request
    names it). Validates everything before writing.

    The returned thread's ``red_flag`` says whether a patient's subject or message
    mentions a red flag (CLINICAL.md section 8): its inbox item is then high priority,
    due within the clinic's red-flag response time."""
    errors = FieldErrors()
    if author.role == Role.PATIENT:
        if patient is not None or patient_id is not None:
            errors.add("patient", "Leave this out: patients write to their own care team.")
        patient = Patient.objects.filter(user=author).first()
        if patient is None:
            raise Http404
    elif author.role == Role.CLINICIAN:
        if patient is None and patient_id is not None:
            # 404 for a patient who does not exist and one outside the care team alike.
            patient = patient_for(author, object_id(patient_id, field="patient"))
        if patient is None:
            errors.add("patient", REQUIRED)
        elif not is_on_care_team(clinician=author, patient=patient):
            raise Http404  # same answer as a patient who does not exist
    else:
        raise PermissionDenied
    errors.raise_if_any()
    subject = check_subject(subject)
    body = check_body(body)
    files = check_attachments(attachments)

    assert patient is not None  # every branch above set it or refused
    now = timezone.now()
    thread = Thread.objects.create(
        patient=patient, subject_sealed=b"", created_by=author, created_at=now, last_message_at=now
    )
    thread.subject_sealed = seal_text(subject, context=thread.seal_context)
    thread.save(update_fields=["subject_sealed"])
    message = _add_message(thread=thread, author=author, body=body, files=files, now=now)
    red_flag = author.role == Role.PATIENT and mentions_red_flag(subject, body)
    _after_new_message(thread=thread, message=message, author=author, inbox_status=None, now=now, red_flag=red_flag)
    thread.red_flag = red_flag  # the answer, not a column
    return thread


REPLY_STATUSES = (InboxStatus.WAITING, InboxStatus.DONE, InboxStatus.IN_PROGRESS)


@transaction.atomic
def post_message(
    *,
    author: User,
    thread: Thread,
    body: object,
    attachments: Sequence[Any] = (),
    inbox_status: object = None,
) -> Message:
    """Add a message to a thread.

    1. A patient's message opens (or reopens) the thread's ``message`` inbox item
       for the care team (the triage pool without one), due as the clinic answers
       messages; a message that mentions a red flag (CLINICAL.md section 8) makes it
       high priority, due within the clinic's red-flag response time, and the
       returned message's ``red_flag`` says so.
    2. A clinician's reply moves that item to ``inbox_status`` (default
       ``waiting``: the ball is with the patient) and claims it if unassigned.
    3. Everything the author had not read yet counts as read: they replied.
    4. The other side is emailed, at most once per thread per 15 minutes.
    """
    _check_participant(author, thread)
    body = check_body(body)
    files = check_attachments(attachments)
    reply_status: str | None = None
    if inbox_status not in ("", None):
        if author.role != Role.CLINICIAN or inbox_status not in REPLY_STATUSES:
            raise ValidationError({"inbox_status": [f"Use one of: {', '.join(REPLY_STATUSES)} (clinicians only)."]})
        reply_status = str(inbox_status)
    now = timezone.now()
    message = _add_message(thread=thread, author=author, body=body, files=files, now=now)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    thread.last_message_at = now
    mark_thread_read(user=author, thread=thread, now=now)
    red_flag = author.role == Role.PATIENT and mentions_red_flag(body)
    _after_new_message(
        thread=thread, message=message, author=author, inbox_status=reply_status, now=now, red_flag=red_flag
    )
    message.red_flag = red_flag  # the answer, not a column
    return message


def _after_new_message(
    *, thread: Thread, message: Message, author: User, inbox_status: str | None, now: datetime, red_flag: bool = False
) -> None:
    if author.role == Role.PATIENT:
        _open_message_item(thread=thread, now=now, red_flag=red_flag)
        responsible = responsible_for(thread.patient)
        for clinician in responsible.clinicians:
            _notify_new_message(recipient=clinician, thread=thread, now=now)
        if red_flag and responsible.audience == Audience.TRIAGE_POOL:
            queue_notification_to_address(
                address=responsible.oncall_email,
                address_name="oncall",
                kind="oncall_message",
                dedup_key=f"message:{message.pk}:red_flag",
                link=_thread_link(thread),
                source=thread,
            )
    else:
        _settle_message_item(thread=thread, by=author, status=inbox_status, now=now)
        _notify_new_message(recipient=thread.patient.user, thread=thread, now=now)


def message_due_at(*, red_flag: bool, now: datetime) -> tuple[str, datetime]:
    """(priority, due time) of a patient's message: a red flag is high priority, due
    within the clinic's red-flag response time, open or closed; any other message is
    due as the clinic answers messages (``default_due_at``)."""
    clinic = current_clinic()
    if red_flag:
        return InboxPriority.HIGH, now + timedelta(hours=clinic.red_flag_response_hours)
    if clinic.message_response_hours:
        due = clinic.after_opening_hours(now, clinic.message_response_hours)
        if due is not None:
            return InboxPriority.NORMAL, due
    return InboxPriority.NORMAL, default_due_at(InboxPriority.NORMAL, now=now)


def _open_message_item(*, thread: Thread, now: datetime, red_flag: bool = False) -> InboxItem:
    """Post the thread's inbox item, or bring a waiting or done one back to ``new``.
    An item that is still open keeps its due time (the oldest unanswered message
    counts), unless a red flag brings it forward and raises it to high."""
    priority, due_at = message_due_at(red_flag=red_flag, now=now)
    summary = RED_FLAG_SUMMARY if red_flag else NEW_MESSAGE_SUMMARY
    item = (
        InboxItem.objects.select_for_update()
        .filter(kind=InboxKind.MESSAGE, source_type=Thread._meta.label_lower, source_id=str(thread.pk))
        .first()
    )
    if item is None:
        return post_inbox_item(
            kind=InboxKind.MESSAGE,
            patient=thread.patient,
            priority=priority,
            summary=summary,
            source=thread,
            link=_thread_link(thread),
            due_at=due_at,
            red_flag=red_flag,
        )
    fields = []
    if item.status in (InboxStatus.WAITING, InboxStatus.DONE):
        item.status = InboxStatus.NEW
        item.done_at = None
        item.summary = summary
        item.red_flag = red_flag  # a new round: flagged by what the new message says
        item.due_at = (
            due_at if red_flag or item.priority == InboxPriority.NORMAL else default_due_at(item.priority, now=now)
        )
        fields += ["status", "done_at", "summary", "red_flag", "due_at"]
    if red_flag:
        if not item.red_flag:
            item.red_flag = True
            fields.append("red_flag")
        if PRIORITY_RANK[priority] < item.priority_rank:
            item.priority, item.priority_rank = priority, PRIORITY_RANK[priority]
            fields += ["priority", "priority_rank"]
        if due_at < item.due_at:
            item.due_at = due_at
            fields.append("due_at")
        if item.summary != summary:
            item.summary = summary
            fields.append("summary")
    if fields:
        item.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    return item


def _settle_message_item(*, thread: Thread, by: User, status: str | None, now: datetime) -> None:
    item = (
        InboxItem.objects.select_for_update()
        .filter(kind=InboxKind.MESSAGE, source_type=Thread._meta.label_lower, source_id=str(thread.pk))
        .first()
    )
    if item is None or (item.status == InboxStatus.DONE and not status):
        return
    _apply_status(item, status or InboxStatus.WAITING, now=now)
    fields = ["status", "done_at", "updated_at"]
    if item.assignee_id is None:
        item.assignee = by
        fields.append("assignee")
    item.save(update_fields=fields)


def _notify_new_message(*, recipient: User, thread: Thread, now: datetime) -> None:
    """Queue a new-message email (no message text: a fixed sentence and a link).

    At most one per thread and recipient per 15 minutes: a recent one suppresses
    the next, and the dedup key, bucketed by window, stops two concurrent requests."""
    recent = Notification.objects.filter(
        recipient=recipient,
        kind="message",
        source_type=Thread._meta.label_lower,
        source_id=str(thread.pk),
        created_at__gt=now - NOTIFY_WINDOW,
    ).exists()
    if recent:
        return
    window = int(now.timestamp() // NOTIFY_WINDOW.total_seconds())
    queue_notification(
        recipient=recipient,
        kind="message",
        dedup_key=f"message:thread:{thread.pk}:window:{window}",
        link=_thread_link(thread),
        source=thread,
    )


@transaction.atomic
def mark_thread_read(
    *, user: User, thread: Thread, messages: Iterable[Message] | None = None, now: datetime | None = None
) -> int:
    """Receipts for what ``user`` has seen: the given messages, or the whole thread.
    Your own messages need none. Returns how many receipts were new."""
    now = now or timezone.now()
    if messages is None:
        candidates = thread.messages.exclude(author=user).exclude(reads__user=user).values_list("pk", flat=True)
        ids = list(candidates)
    else:
        ids = [
            m.pk for m in messages if m.author_id != user.pk and not any(r.user_id == user.pk for r in m.reads.all())
        ]
    if not ids:
        return 0
    created = MessageRead.objects.bulk_create(
        [MessageRead(message_id=pk, user=user, read_at=now) for pk in ids], ignore_conflicts=True
    )
    return len(created)


# --- Forwarding a case ----------------------------------------------------------------

NOT_ON_CARE_TEAM = (
    "This clinician is not on the patient's care team. The patient chooses who may see their record: "
    "ask them to add this clinician first."
)


@transaction.atomic
def forward_thread(
    *, thread: Thread, by: User, to_id: object, note: object = "", priority: object = InboxPriority.NORMAL
) -> ThreadForward:
    """Send the case to a colleague the patient has chosen: a ``referral`` inbox
    item addressed to (and assigned to) them, with an optional sealed note."""
    if by.role != Role.CLINICIAN:
        raise PermissionDenied
    _check_participant(by, thread)
    errors = FieldErrors()
    receiver: User | None = None
    try:
        receiver = User.objects.filter(pk=object_id(to_id, field="to"), role=Role.CLINICIAN, is_active=True).first()
        if receiver is not None and receiver.pk == by.pk:
            errors.add("to", "You cannot forward a case to yourself.")
        elif receiver is None or not is_on_care_team(clinician=receiver, patient=thread.patient):
            errors.add("to", NOT_ON_CARE_TEAM)
    except ValidationError as exc:
        errors.take(exc)
    if priority in ("", None):
        priority = InboxPriority.NORMAL
    if priority not in InboxPriority.values:
        errors.add("priority", f"Use one of: {', '.join(InboxPriority.values)}.")
    checked_note = ""
    try:
        checked_note = check_note(note)
    except ValidationError as exc:
        errors.take(exc)
    errors.raise_if_any()
    assert receiver is not None  # refused above when there is none
    note, priority = checked_note, str(priority)

    now = timezone.now()
    forward = ThreadForward.objects.create(
        thread=thread, forwarded_by=by, to=receiver, note_sealed=b"", priority=priority, created_at=now
    )
    # Sealed even when empty: every blob in a registered column opens (key rotation walks them all).
    forward.note_sealed = seal_text(note, context=forward.seal_context)
    forward.save(update_fields=["note_sealed"])
    item = post_inbox_item(
        kind=InboxKind.REFERRAL,
        patient=thread.patient,
        priority=priority,
        summary=f"Case forwarded by {by.display_name}" + (" with a note" if note else ""),
        source=forward,
        link=_thread_link(thread),
        due_at=default_due_at(priority, now=now),
        addressed_to=receiver,
    )
    item.assignee = receiver
    item.save(update_fields=["assignee", "updated_at"])
    mark_thread_read(user=by, thread=thread, now=now)
    record_audit(actor=by, action="messaging.thread.forward", patient_id=thread.patient_id, obj=forward)
    queue_notification(
        recipient=receiver,
        kind="message",
        dedup_key=f"referral:{forward.pk}",
        link=_thread_link(thread),
        source=forward,
    )
    return forward
