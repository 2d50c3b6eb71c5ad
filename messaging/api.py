"""Messaging and inbox endpoints (API.md "Messaging and the inbox"). Thin: parse,
call a selector or a service, serialize. Sealed fields are opened while
serializing the response that shows them, never before."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import selectors, services
from messaging.models import InboxItem, InboxPriority, Thread, ThreadForward
from patients.selectors import patient_for
from patients.services import record_list_read
from portal.accounts.models import Role
from portal.api import Pagination
from portal.audit.services import audit_read
from portal.permissions import IsClinician, IsPatientOrClinician, MFARequiredForHealthData

PARTICIPANTS = [IsAuthenticated, MFARequiredForHealthData, IsPatientOrClinician]
CLINICIANS = [IsAuthenticated, MFARequiredForHealthData, IsClinician]


def _uploads(request) -> list:
    return request.FILES.getlist("attachments") if hasattr(request, "FILES") else []


# --- Serializers ------------------------------------------------------------------------


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


class ThreadCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=services.MAX_SUBJECT_CHARS, required=False, allow_blank=True)
    body = serializers.CharField(max_length=services.MAX_BODY_CHARS)
    patient = serializers.IntegerField(required=False, help_text="Clinicians only: a care-team patient's id.")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, help_text="multipart only")


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_BODY_CHARS)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, help_text="multipart only")
    inbox_status = serializers.ChoiceField(
        choices=services.REPLY_STATUSES,
        required=False,
        help_text="Clinicians: where the thread's inbox item goes after this reply (default waiting).",
    )


class ForwardCreateSerializer(serializers.Serializer):
    to = serializers.IntegerField(help_text="A clinician on the patient's care team.")
    note = serializers.CharField(max_length=services.MAX_NOTE_CHARS, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=InboxPriority.choices, required=False, default=InboxPriority.NORMAL)


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
    link = serializers.CharField()

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
    """A clinician id, ``"me"`` or null (unassign)."""

    def to_internal_value(self, data):
        if data is None or data == "me":
            return data
        if isinstance(data, bool):
            raise serializers.ValidationError("Use a clinician id, 'me' or null.")
        try:
            return int(data)
        except (TypeError, ValueError):
            raise serializers.ValidationError("Use a clinician id, 'me' or null.") from None

    def to_representation(self, value):
        return value


class InboxUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboxItem._meta.get_field("status").choices, required=False)
    assignee = AssigneeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=InboxPriority.choices, required=False)


class InboxBulkSerializer(InboxUpdateSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=services.MAX_BULK, allow_empty=False
    )


def _triage_changes(validated: dict, *, by) -> dict:
    changes = {}
    if "status" in validated:
        changes["status"] = validated["status"]
    if "priority" in validated:
        changes["priority"] = validated["priority"]
    if "assignee" in validated:
        changes["assignee"] = services.resolve_assignee(validated["assignee"], by=by)
    return changes


# --- Threads ------------------------------------------------------------------------------


class ThreadListView(APIView):
    """``GET``: the caller's threads, most recent first, with unread counts.
    ``POST``: start a thread (JSON or multipart with ``attachments``)."""

    permission_classes = PARTICIPANTS
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("patient", int, description="Clinicians: only this patient's threads")],
        responses=ThreadSerializer(many=True),
    )
    def get(self, request):
        patient_id = None
        if request.query_params.get("patient"):
            patient_id = patient_for(request.user, request.query_params["patient"]).pk
        threads = selectors.thread_list_for(request.user, patient_id=patient_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(threads, request, view=self)
        # Subjects are health data: one audit event per patient whose threads were shown.
        for patient_id_shown in sorted({thread.patient_id for thread in page}):
            audit_read(user=request.user, patient_id=patient_id_shown, request=request, action="messaging.threads.list")
        return paginator.get_paginated_response(ThreadSerializer(page, many=True).data)

    @extend_schema(request=ThreadCreateSerializer, responses={201: SentThreadSerializer})
    def post(self, request):
        serializer = ThreadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = None
        if "patient" in data:
            if request.user.role == Role.PATIENT:
                return Response(
                    {"patient": ["Leave this out: patients write to their own care team."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            patient = patient_for(request.user, data["patient"])
        started = services.start_thread(
            author=request.user,
            subject=data.get("subject"),
            body=data["body"],
            patient=patient,
            attachments=_uploads(request),
        )
        thread = selectors.thread_for(request.user, started.pk)
        thread.red_flag = started.red_flag
        # A clinician's new thread comes back with the patient's details: a read of the record.
        audit_read(
            user=request.user, patient_id=thread.patient_id, obj=thread, request=request, action="messaging.thread.read"
        )
        return Response(SentThreadSerializer(thread).data, status=status.HTTP_201_CREATED)


class ThreadDetailView(APIView):
    permission_classes = PARTICIPANTS

    @extend_schema(responses=ThreadDetailSerializer)
    def get(self, request, thread_id: int):
        thread = selectors.thread_for(request.user, thread_id)
        audit_read(
            user=request.user, patient_id=thread.patient_id, obj=thread, request=request, action="messaging.thread.read"
        )
        thread = selectors.with_unread_count(Thread.objects.filter(pk=thread.pk), request.user).select_related(
            "patient__user"
        )[0]
        return Response(ThreadDetailSerializer(thread, context={"request": request}).data)


class ThreadMessagesView(APIView):
    """``GET``: a page of the thread's messages, oldest first; what is shown is
    marked read for the caller (and audited for clinicians). ``POST``: reply."""

    permission_classes = PARTICIPANTS
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request, thread_id: int):
        thread = selectors.thread_for(request.user, thread_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.messages_of(thread), request, view=self)
        audit_read(
            user=request.user, patient_id=thread.patient_id, obj=thread, request=request, action="messaging.thread.read"
        )
        data = MessageSerializer(page, many=True).data
        services.mark_thread_read(user=request.user, thread=thread, messages=page)
        return paginator.get_paginated_response(data)

    @extend_schema(request=MessageCreateSerializer, responses={201: SentMessageSerializer})
    def post(self, request, thread_id: int):
        thread = selectors.thread_for(request.user, thread_id)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posted = services.post_message(
            author=request.user,
            thread=thread,
            body=serializer.validated_data["body"],
            attachments=_uploads(request),
            inbox_status=serializer.validated_data.get("inbox_status"),
        )
        message = selectors.messages_of(thread).get(pk=posted.pk)
        message.red_flag = posted.red_flag
        return Response(SentMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ThreadForwardView(APIView):
    """Forward the case to a clinician on the patient's care team (a ``referral``)."""

    permission_classes = CLINICIANS

    @extend_schema(request=ForwardCreateSerializer, responses={201: ForwardSerializer})
    def post(self, request, thread_id: int):
        thread = selectors.thread_for(request.user, thread_id)
        serializer = ForwardCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        forward = services.forward_thread(
            thread=thread,
            by=request.user,
            to_id=serializer.validated_data["to"],
            note=serializer.validated_data.get("note", ""),
            priority=serializer.validated_data["priority"],
        )
        forward = ThreadForward.objects.select_related("forwarded_by", "to").get(pk=forward.pk)
        return Response(ForwardSerializer(forward).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    """The decrypted file, as a download (audited for clinicians)."""

    permission_classes = PARTICIPANTS

    # The file is sent with its own type (one of the types an attachment may have).
    @extend_schema(responses={(200, kind): OpenApiTypes.BINARY for kind in services.ALLOWED_ATTACHMENT_TYPES})
    def get(self, request, attachment_id: int):
        attachment = selectors.attachment_for(request.user, attachment_id)
        return attachment_response(request, attachment)


def attachment_response(request, attachment) -> HttpResponse:
    """Shared by the API and the page: audit, open, send as a download."""
    audit_read(
        user=request.user,
        patient_id=attachment.message.thread.patient_id,
        obj=attachment,
        request=request,
        action="messaging.attachment.download",
    )
    response = HttpResponse(selectors.content_of(attachment), content_type=attachment.content_type)
    filename = selectors.filename_of(attachment)
    response["Content-Disposition"] = _content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- The inbox ----------------------------------------------------------------------------


INBOX_PARAMETERS = [
    OpenApiParameter("status", str, description="open (default: not done), all, new, in_progress, waiting, done"),
    OpenApiParameter("assignee", str, description="me, unassigned or a clinician id"),
    OpenApiParameter("kind", str, description="message, alert, lab_request, lab_result, referral"),
    OpenApiParameter("priority", str, description="urgent, high, normal"),
    OpenApiParameter("overdue", str, description="1: only items past their due time"),
    OpenApiParameter("patient", int, description="only this patient's items"),
]


class InboxListView(APIView):
    """One triage queue: urgent first, then oldest due. Summaries only: details
    are behind each item's ``link``."""

    permission_classes = CLINICIANS
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination

    @extend_schema(parameters=INBOX_PARAMETERS, responses=InboxItemSerializer(many=True))
    def get(self, request):
        filters = selectors.inbox_filters_from(request.query_params)
        now = timezone.now()
        paginator = Pagination()
        items = selectors.filtered_inbox(request.user, filters, now=now)
        page_ids = paginator.paginate_queryset(items.values_list("pk", flat=True), request, view=self)
        rows = selectors.inbox_rows(list(page_ids))
        # Each row names a patient and what happened (health data): one read event per patient, one INSERT.
        record_list_read(
            user=request.user,
            patient_ids=sorted({row.patient_id for row in rows}),
            request=request,
            action="inbox.read",
        )
        return paginator.get_paginated_response(InboxItemSerializer(rows, many=True, context={"now": now}).data)


class InboxItemView(APIView):
    permission_classes = CLINICIANS

    @extend_schema(responses=InboxItemSerializer)
    def get(self, request, item_id: int):
        item = selectors.inbox_item_for(request.user, item_id)
        audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
        return Response(InboxItemSerializer(item, context={"now": timezone.now()}).data)

    @extend_schema(request=InboxUpdateSerializer, responses=InboxItemSerializer)
    def patch(self, request, item_id: int):
        item = selectors.inbox_item_for(request.user, item_id)
        serializer = InboxUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_inbox_item(
            item=item, by=request.user, **_triage_changes(serializer.validated_data, by=request.user)
        )
        item = selectors.inbox_item_for(request.user, item_id)
        # The answer names the patient and what happened: a read, as GET is.
        audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
        return Response(InboxItemSerializer(item, context={"now": timezone.now()}).data)


class InboxBulkView(APIView):
    """The same status, assignee or priority for many items, all or nothing."""

    permission_classes = CLINICIANS

    @extend_schema(
        request=InboxBulkSerializer,
        responses=inline_serializer("InboxBulkResult", {"updated": serializers.IntegerField()}),
    )
    def post(self, request):
        serializer = InboxBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        updated = services.bulk_update_inbox_items(
            items=selectors.inbox_items_for(request.user),
            ids=data["ids"],
            by=request.user,
            **_triage_changes(data, by=request.user),
        )
        return Response({"updated": updated})
