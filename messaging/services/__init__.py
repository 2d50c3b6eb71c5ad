"""Messaging writes, one module a concern: ``inbox`` (the triage inbox every app
posts into), ``threads`` (conversations, replies, read receipts, forwarding) and
``attachments`` (checking uploaded files). Other apps and the views import the
public services from here."""

from messaging.services.attachments import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENTS,
    CheckedAttachment,
    check_attachments,
)
from messaging.services.inbox import (
    MAX_BULK,
    UNSET,
    bulk_update_inbox_items,
    default_due_at,
    hold_patient_queue,
    post_inbox_item,
    preview_reads,
    resolve_assignee,
    set_status_from_source,
    share_inbox_item_with_triage,
    update_inbox_item,
)
from messaging.services.threads import (
    MAX_BODY_CHARS,
    MAX_NOTE_CHARS,
    MAX_SUBJECT_CHARS,
    NOT_ON_CARE_TEAM,
    REPLY_STATUSES,
    check_body,
    check_note,
    check_subject,
    forward_thread,
    mark_thread_read,
    message_due_at,
    post_message,
    start_thread,
)

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_BODY_CHARS",
    "MAX_BULK",
    "MAX_NOTE_CHARS",
    "MAX_SUBJECT_CHARS",
    "NOT_ON_CARE_TEAM",
    "REPLY_STATUSES",
    "UNSET",
    "CheckedAttachment",
    "bulk_update_inbox_items",
    "check_attachments",
    "check_body",
    "check_note",
    "check_subject",
    "default_due_at",
    "forward_thread",
    "hold_patient_queue",
    "mark_thread_read",
    "message_due_at",
    "post_inbox_item",
    "post_message",
    "preview_reads",
    "resolve_assignee",
    "set_status_from_source",
    "share_inbox_item_with_triage",
    "start_thread",
    "update_inbox_item",
]
