"""Messaging and inbox serializers: the shape of each request and response of
``messaging.api`` (API.md "Messaging and the inbox"). Sealed fields are opened
while serializing the response that shows them, never before. The request shapes
describe the schema only: the services validate what is sent."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging import selectors, services
from messaging.inbox_kinds import ItemFacts
from messaging.models import InboxItem, InboxPriority
from portal.accounts.models import Role


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_filename(self, attachment) -> str:
        return selectors.filename_of(attachment)

    def get_url(self, attachment) -> str:
        return f"/api/v1/attachments/{attachment.pk}/"


class ReceiptSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.display_name")
    role = serializers.CharField(source="user.role")
    read_at = serializers.DateTimeField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    author = serializers.IntegerField(source="author_id")
    author_name = serializers.CharField(source="author.display_name")
    author_role = serializers.CharField(source="author.role")
    body = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)
    read_by = serializers.SerializerMethodField()

    def get_body(self, message) -> str:
        return selectors.body_of(message)

    @extend_schema_field(ReceiptSerializer(many=True))
    def get_read_by(self, message) -> list[dict]:
        receipts = [read for read in message.reads.all() if read.user_id != message.author_id]
        return ReceiptSerializer(receipts, many=True).data


class ThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.name")
    subject = serializers.SerializerMethodField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField()
    unread_count = serializers.IntegerField(default=0)

    def get_subject(self, thread) -> str:
        return selectors.subject_of(thread)


class ForwardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    forwarded_by = serializers.IntegerField(source="forwarded_by_id")
    forwarded_by_name = serializers.CharField(source="forwarded_by.display_name")
    to = serializers.IntegerField(source="to_id")
    to_name = serializers.CharField(source="to.display_name")
    note = serializers.SerializerMethodField()
    priority = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_note(self, forward) -> str:
        return selectors.note_of(forward)


class SentThreadSerializer(ThreadSerializer):
    red_flag = serializers.BooleanField(
        help_text="The patient's message mentions a red flag (CLINICAL.md section 8): its inbox item is high "
        "priority, due within the clinic's red-flag response time. An app shows the urgent instruction."
    )


class ThreadDetailSerializer(ThreadSerializer):
    forwards = serializers.SerializerMethodField()
    inbox_item = serializers.SerializerMethodField()

    @extend_schema_field(ForwardSerializer(many=True))
    def get_forwards(self, thread) -> list[dict]:
        if self.context["request"].user.role != Role.CLINICIAN:
            return []  # notes between clinicians are theirs
        return ForwardSerializer(selectors.forwards_of(thread), many=True).data

    def get_inbox_item(self, thread) -> int | None:
        if self.context["request"].user.role != Role.CLINICIAN:
            return None
        item = selectors.message_item_of(thread)
        return item.pk if item is not None else None


class SentMessageSerializer(MessageSerializer):
    red_flag = serializers.BooleanField(help_text=SentThreadSerializer._declared_fields["red_flag"].help_text)


# --- Request shapes, for the schema: the services validate (``messaging.services``) ---


class ThreadCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(
        max_length=services.MAX_SUBJECT_CHARS, required=False, allow_blank=True, allow_null=True
    )
    body = serializers.CharField(max_length=services.MAX_BODY_CHARS)
    patient = serializers.IntegerField(
        required=False, min_value=1, help_text="Clinicians only: a care-team patient's id."
    )
    attachments = serializers.ListField(child=serializers.FileField(), required=False, help_text="multipart only")


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_BODY_CHARS)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, help_text="multipart only")
    inbox_status = serializers.ChoiceField(
        choices=services.REPLY_STATUSES,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Clinicians: where the thread's inbox item goes after this reply (default waiting).",
    )


class ForwardCreateSerializer(serializers.Serializer):
    to = serializers.IntegerField(min_value=1, help_text="A clinician on the patient's care team.")
    note = serializers.CharField(max_length=services.MAX_NOTE_CHARS, required=False, allow_blank=True, allow_null=True)
    priority = serializers.ChoiceField(
        choices=InboxPriority.choices, required=False, allow_blank=True, allow_null=True, default=InboxPriority.NORMAL
    )


class InboxItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.name")
    priority = serializers.CharField()
    status = serializers.CharField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.SerializerMethodField()
    addressed_to = serializers.IntegerField(source="addressed_to_id", allow_null=True)
    due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    summary = serializers.CharField()
    red_flag = serializers.BooleanField(help_text="A patient's message of this item mentions a red flag.")
    link = serializers.CharField()
    title = serializers.SerializerMethodField(
        help_text="The thread's subject, or the plain titles of the rules that fired on the episode."
    )
    preview = serializers.SerializerMethodField(
        help_text="The start of the patient's latest message (audited as a read), or the newest alert's trigger values."
    )
    alerts = serializers.SerializerMethodField(
        help_text="An alert item: the ids of its episode's alerts, newest first."
    )

    def _facts(self, item) -> ItemFacts:
        return self.context.get("facts", {}).get(item.pk) or ItemFacts()

    def get_title(self, item) -> str:
        return self._facts(item).title

    def get_preview(self, item) -> str:
        return self._facts(item).preview

    def get_alerts(self, item) -> list[int]:
        return list(self._facts(item).source_ids) if item.kind == "alert" else []

    def get_assignee_name(self, item) -> str | None:
        return item.assignee.display_name if item.assignee_id else None

    def get_overdue(self, item) -> bool:
        return item.status != "done" and item.due_at < self.context["now"]


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["me"]}],
        "nullable": True,
        "description": "a clinician id, 'me', or null to unassign",
    }
)
class AssigneeField(serializers.Field):
    """A clinician id, ``"me"`` or null (unassign): read by ``services.resolve_assignee``."""


class InboxUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboxItem._meta.get_field("status").choices, required=False)
    assignee = AssigneeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=InboxPriority.choices, required=False)


class InboxBulkSerializer(InboxUpdateSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=services.MAX_BULK, allow_empty=False
    )
