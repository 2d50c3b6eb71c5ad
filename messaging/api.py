"""Messaging and inbox endpoints (API.md "Messaging and the inbox"). Thin: parse,
call a selector or a service, serialize. Sealed fields are opened while
serializing the response that shows them, never before."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging import selectors, services
from messaging.inbox_kinds import facts_of
from messaging.models import Thread, ThreadForward
from messaging.serializers import (
    ForwardCreateSerializer,
    ForwardSerializer,
    InboxBulkSerializer,
    InboxItemSerializer,
    InboxUpdateSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    SentMessageSerializer,
    SentThreadSerializer,
    ThreadCreateSerializer,
    ThreadDetailSerializer,
    ThreadSerializer,
)
from messaging.services import preview_reads
from patients.selectors import patient_for
from portal.api import Pagination, listed, request_body
from portal.audit.services import audit_read
from portal.permissions import IsClinician, IsPatientOrClinician, MFARequiredForHealthData

PARTICIPANTS = [IsAuthenticated, MFARequiredForHealthData, IsPatientOrClinician]
CLINICIANS = [IsAuthenticated, MFARequiredForHealthData, IsClinician]


def _uploads(request) -> list:
    """The files of a multipart request; in a JSON body, what was sent under
    ``attachments`` (the service refuses anything that is not a file)."""
    if request.FILES:
        return request.FILES.getlist("attachments")
    sent = request.data.get("attachments") if hasattr(request.data, "get") else None
    return [] if sent in (None, "", []) else sent if isinstance(sent, list) else [sent]


def _triage_changes(data, *, by) -> dict:
    """The triage fields the request sends, as sent: the service checks them."""
    changes = {name: data[name] for name in ("status", "priority") if name in data}
    if "assignee" in data:
        changes["assignee"] = services.resolve_assignee(data["assignee"], by=by)
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
        audit_read(
            user=request.user,
            patient_ids=[thread.patient_id for thread in page],
            request=request,
            action="messaging.threads.list",
        )
        return paginator.get_paginated_response(ThreadSerializer(page, many=True).data)

    @extend_schema(request=ThreadCreateSerializer, responses={201: SentThreadSerializer})
    def post(self, request):
        data = request_body(request)
        started = services.start_thread(
            author=request.user,
            subject=data.get("subject"),
            body=data.get("body"),
            patient_id=data.get("patient"),
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
        data = request_body(request)
        posted = services.post_message(
            author=request.user,
            thread=thread,
            body=data.get("body"),
            attachments=_uploads(request),
            inbox_status=data.get("inbox_status"),
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
        data = request_body(request)
        forward = services.forward_thread(
            thread=thread, by=request.user, to_id=data.get("to"), note=data.get("note"), priority=data.get("priority")
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
        facts = facts_of(rows)
        audit_read(
            user=request.user,
            patients=[row.patient for row in rows],
            request=request,
            action="inbox.read",
            details=preview_reads(rows, facts),
        )
        return paginator.get_paginated_response(
            InboxItemSerializer(rows, many=True, context={"now": now, "facts": facts}).data
        )


class InboxItemView(APIView):
    permission_classes = CLINICIANS

    @extend_schema(responses=InboxItemSerializer)
    def get(self, request, item_id: int):
        item = selectors.inbox_item_for(request.user, item_id)
        audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
        facts = facts_of([item])  # its preview is part of this read of the item
        return Response(InboxItemSerializer(item, context={"now": timezone.now(), "facts": facts}).data)

    @extend_schema(request=InboxUpdateSerializer, responses=InboxItemSerializer)
    def patch(self, request, item_id: int):
        item = selectors.inbox_item_for(request.user, item_id)
        changes = _triage_changes(request_body(request), by=request.user)
        services.update_inbox_item(item=item, by=request.user, **changes)
        item = selectors.inbox_item_for(request.user, item_id)
        # The answer names the patient and what happened: a read, as GET is.
        audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
        facts = facts_of([item])  # its preview is part of this read of the item
        return Response(InboxItemSerializer(item, context={"now": timezone.now(), "facts": facts}).data)


class InboxBulkView(APIView):
    """The same status, assignee or priority for many items, all or nothing."""

    permission_classes = CLINICIANS

    @extend_schema(
        request=InboxBulkSerializer,
        responses=inline_serializer("InboxBulkResult", {"updated": serializers.IntegerField()}),
    )
    def post(self, request):
        data = request_body(request)
        updated = services.bulk_update_inbox_items(
            items=selectors.inbox_items_for(request.user),
            ids=listed(data, "ids"),
            by=request.user,
            **_triage_changes(data, by=request.user),
        )
        return Response({"updated": updated})
