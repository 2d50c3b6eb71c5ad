"""Reads of threads, messages and the inbox, scoped to the caller.

``thread_for``, ``attachment_for`` and ``inbox_item_for`` are the access checks:
"missing" and "not yours" are the same 404. Sealed columns are opened only by the
``*_of`` helpers below, called while rendering the response that shows them;
nothing decrypted is cached or stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from messaging.inbox_kinds import ItemFacts
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
from patients.models import Patient, Procedure
from patients.routing import is_in_triage_pool, patients_in_triage_for
from patients.selectors import care_team_of, patients_visible_to
from portal.accounts.models import Role, User
from portal.crypto import open_sealed, open_sealed_text
from portal.request_scope import once_per_request
from portal.validation import id_or_404

# --- Opening sealed columns (only while rendering the response that shows them) ---


def subject_of(thread: Thread) -> str:
    return open_sealed_text(bytes(thread.subject_sealed), context=thread.seal_context)


def body_of(message: Message) -> str:
    return open_sealed_text(bytes(message.body_sealed), context=message.seal_context)


def filename_of(attachment: Attachment) -> str:
    return open_sealed_text(bytes(attachment.filename_sealed), context=attachment.filename_seal_context)


def content_of(attachment: Attachment) -> bytes:
    return open_sealed(bytes(attachment.content_sealed), context=attachment.seal_context)


def note_of(forward: ThreadForward) -> str:
    return open_sealed_text(bytes(forward.note_sealed), context=forward.seal_context)


# --- Threads and messages -----------------------------------------------------------


def _is_participant_role(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.role in (Role.PATIENT, Role.CLINICIAN)
    )


def threads_visible_to(user: User) -> QuerySet[Thread]:
    """The patient's own threads; a clinician's threads of their care-team patients;
    for the triage pool also the threads of patients without a care team (CLINICAL.md
    section 7: their messages would otherwise reach nobody)."""
    if not _is_participant_role(user):
        return Thread.objects.none()
    mine = Q(patient__in=patients_visible_to(user).values("pk"))
    if is_in_triage_pool(user):
        mine |= Q(patient__in=patients_in_triage_for(user).values("pk"))
    return Thread.objects.filter(mine)


def _unread_for(user: User) -> QuerySet[Message]:
    """Messages someone else wrote that ``user`` has no receipt for."""
    read_by_user = MessageRead.objects.filter(message=OuterRef("pk"), user=user)
    return Message.objects.exclude(author=user).filter(~Exists(read_by_user))


def with_unread_count(threads: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    """Annotate ``unread_count`` per thread in the same query (no query per row)."""
    per_thread = (
        _unread_for(user).filter(thread=OuterRef("pk")).order_by().values("thread").annotate(n=Count("pk")).values("n")
    )
    return threads.annotate(unread_count=Coalesce(Subquery(per_thread, output_field=IntegerField()), Value(0)))


def thread_list_for(user: User, *, patient_id: int | None = None) -> QuerySet[Thread]:
    threads = threads_visible_to(user)
    if patient_id is not None:
        threads = threads.filter(patient_id=patient_id)
    return (
        with_unread_count(threads, user)
        .select_related("patient__user", "created_by")
        .order_by("-last_message_at", "-id")
    )


def thread_for(user: User, thread_id: int | str | None) -> Thread:
    """The thread if the user is its patient or on its patient's care team, else 404."""
    pk = id_or_404(thread_id)
    thread = threads_visible_to(user).select_related("patient__user", "created_by").filter(pk=pk).first()
    if thread is None:
        raise Http404
    return thread


def unread_message_count(user: User) -> int:
    return _unread_for(user).filter(thread__in=threads_visible_to(user)).count()


def messages_of(thread: Thread) -> QuerySet[Message]:
    """A thread's messages, oldest first, with authors, attachments (content not
    loaded) and receipts prefetched: a constant number of queries per page."""
    return (
        thread.messages.select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.defer("content_sealed").order_by("id")),
            Prefetch("reads", queryset=MessageRead.objects.select_related("user").order_by("read_at", "id")),
        )
        .order_by("created_at", "id")
    )


def forwards_of(thread: Thread) -> QuerySet[ThreadForward]:
    return thread.forwards.select_related("forwarded_by", "to").order_by("created_at", "id")


def attachment_for(user: User, attachment_id: int | str | None) -> Attachment:
    pk = id_or_404(attachment_id)
    attachment = (
        Attachment.objects.select_related("message__thread__patient")
        .filter(pk=pk, message__thread__in=threads_visible_to(user))
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def message_item_of(thread: Thread) -> InboxItem | None:
    """The inbox item that new patient messages on this thread feed."""
    return (
        InboxItem.objects.select_related("assignee")
        .filter(kind=InboxKind.MESSAGE, source_type=Thread._meta.label_lower, source_id=str(thread.pk))
        .first()
    )


# --- The inbox ----------------------------------------------------------------------


def inbox_items_for(user: User) -> QuerySet[InboxItem]:
    """Items of the clinician's care-team patients; for the clinic's triage pool also
    the items of patients without a care team and the items shared with it (an
    escalated urgent alert: CLINICAL.md section 7). A referral only for the clinician
    it was sent to. Patients and admins have no inbox."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.CLINICIAN):
        return InboxItem.objects.none()
    reach = Q(patient__in=patients_visible_to(user).values("pk"))
    if is_in_triage_pool(user):
        reach |= Q(patient__in=patients_in_triage_for(user).values("pk")) | Q(shared_with_triage=True)
    return InboxItem.objects.filter(reach).filter(~Q(kind=InboxKind.REFERRAL) | Q(addressed_to=user))


def inbox_item_for(user: User, item_id: int | str | None) -> InboxItem:
    pk = id_or_404(item_id)
    item = inbox_items_for(user).select_related("patient__user", "assignee").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def inbox_row_for(user: User, item_id: int | str | None) -> InboxItem:
    """``inbox_item_for`` with what a row shows (``inbox_rows``): a 404 when not in reach."""
    item = inbox_item_for(user, item_id)
    return inbox_rows([item.pk])[0]


def thread_of_item(user: User, item: InboxItem) -> Thread | None:
    """The thread a message item (or a referral) is about, when the user may read it."""
    thread_id: int | str | None
    if item.kind == InboxKind.MESSAGE and item.source_type == Thread._meta.label_lower:
        thread_id = item.source_id
    elif item.kind == InboxKind.REFERRAL and item.source_type == ThreadForward._meta.label_lower:
        thread_id = ThreadForward.objects.filter(pk=item.source_id).values_list("thread_id", flat=True).first()
    else:
        return None
    if thread_id is None:
        return None
    return threads_visible_to(user).filter(pk=thread_id).first()


def latest_messages_of(thread: Thread, *, limit: int) -> list[Message]:
    """The thread's last ``limit`` messages, oldest first (the pane's excerpt)."""
    latest = thread.messages.select_related("author").order_by("-created_at", "-id")[:limit]
    return list(reversed(latest))


OPEN = "open"
ALL = "all"
STATUS_FILTERS = {OPEN, ALL, *InboxStatus.values}


@dataclass(frozen=True)
class InboxFilters:
    status: str = OPEN  # "open" = anything not done
    assignee: str = ""  # "", "me", "unassigned" or a user id
    kind: str = ""
    priority: str = ""
    overdue: bool = False
    patient: int | None = None

    @property
    def is_default(self) -> bool:
        return self == InboxFilters()


def _first(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name, "")
    if isinstance(value, list):  # a parsed query string
        value = value[-1] if value else ""
    return str(value).strip()


def inbox_filters_from(params: Mapping[str, Any]) -> InboxFilters:
    """Parse ``?status=&assignee=&kind=&priority=&overdue=&patient=``; a bad value
    is a ValidationError naming the parameter (the API turns it into a 400)."""
    errors: dict[str, list[str]] = {}
    status = _first(params, "status") or OPEN
    if status not in STATUS_FILTERS:
        errors["status"] = [f"Use one of: {', '.join(sorted(STATUS_FILTERS))}."]
    assignee = _first(params, "assignee")
    if assignee and assignee not in ("me", "unassigned") and not assignee.isdigit():
        errors["assignee"] = ["Use 'me', 'unassigned' or a clinician id."]
    kind = _first(params, "kind")
    if kind and kind not in InboxKind.values:
        errors["kind"] = [f"Use one of: {', '.join(InboxKind.values)}."]
    priority = _first(params, "priority")
    if priority and priority not in InboxPriority.values:
        errors["priority"] = [f"Use one of: {', '.join(InboxPriority.values)}."]
    overdue_text = _first(params, "overdue").lower()
    if overdue_text not in ("", "0", "1", "true", "false"):
        errors["overdue"] = ["Use 1 or 0."]
    patient_text = _first(params, "patient")
    if patient_text and not patient_text.isdigit():
        errors["patient"] = ["Use a patient id."]
    if errors:
        raise ValidationError(errors)
    return InboxFilters(
        status=status,
        assignee=assignee,
        kind=kind,
        priority=priority,
        overdue=overdue_text in ("1", "true"),
        patient=int(patient_text) if patient_text else None,
    )


def filtered_inbox(user: User, filters: InboxFilters, *, now: datetime | None = None) -> QuerySet[InboxItem]:
    """The triage queue: urgent first, then oldest due. Page it as ids
    (``.values_list("pk", flat=True)``) and fetch the rows with ``inbox_rows``."""
    now = now or timezone.now()
    items = inbox_items_for(user)
    if filters.status == OPEN:
        items = items.exclude(status=InboxStatus.DONE)
    elif filters.status != ALL:
        items = items.filter(status=filters.status)
    if filters.assignee == "me":
        items = items.filter(assignee=user)
    elif filters.assignee == "unassigned":
        items = items.filter(assignee__isnull=True)
    elif filters.assignee:
        items = items.filter(assignee_id=int(filters.assignee))
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.priority:
        items = items.filter(priority_rank=PRIORITY_RANK[filters.priority])
    if filters.overdue:
        items = items.filter(due_at__lt=now).exclude(status=InboxStatus.DONE)
    if filters.patient is not None:
        items = items.filter(patient_id=filters.patient)
    return items.order_by("priority_rank", "due_at", "id")


def _with_row_facts(items: QuerySet[InboxItem]) -> QuerySet[InboxItem]:
    latest_procedure = (
        Procedure.objects.filter(patient_id=OuterRef("patient_id")).order_by("-performed_at").values("performed_at")[:1]
    )
    # "Day N" on each row, in the same query (index procedure_patient_latest).
    return items.select_related("patient__user", "assignee").annotate(procedure_at=Subquery(latest_procedure))


def inbox_rows(ids: list[int]) -> list[InboxItem]:
    """The full rows of one page, in the page's order, with patient and assignee.

    A page is found as ids first (index-only over ``inbox_open_by_patient``) and
    fetched here by primary key: sorting thousands of wide joined rows to keep
    fifty was the slow part."""
    rows = _with_row_facts(InboxItem.objects.all()).in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def inbox_page_rows(page_ids: QuerySet[InboxItem, int]) -> list[InboxItem]:
    """``inbox_rows`` of a page still to be found, in one round trip: the page's ids
    (the sliced, ordered ``values_list("pk")`` of ``filtered_inbox``, index-only as
    above) become the subquery the wide rows are fetched by, and the fifty rows are
    put back in the queue's order here."""
    rows = list(_with_row_facts(InboxItem.objects.filter(pk__in=page_ids)))
    rows.sort(key=lambda item: (item.priority_rank, item.due_at, item.pk))
    return rows


def next_inbox_item_id(user: User, item: InboxItem) -> int | None:
    """The open item after this one in the queue's order (urgent first, then oldest
    due): the pane's "next item". One index range read."""
    after = Q(priority_rank__gt=item.priority_rank) | Q(priority_rank=item.priority_rank, due_at__gt=item.due_at)
    after |= Q(priority_rank=item.priority_rank, due_at=item.due_at, pk__gt=item.pk)
    items = filtered_inbox(user, InboxFilters()).filter(after)
    return items.values_list("pk", flat=True).first()


def first_line(text: str, *, limit: int = 140) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else f"{line[: limit - 1].rstrip()}…"


def message_item_facts(items: Sequence[InboxItem]) -> dict[int, ItemFacts]:
    """A message item's subject and the first line of the patient's latest message:
    two queries for a page (its threads with the latest patient message's id, then
    those messages). Opened here to be shown at once; the caller audits each preview
    as a read of its message (``source_ids``)."""
    thread_ids = [int(item.source_id) for item in items if item.source_type == Thread._meta.label_lower]
    latest = (
        Message.objects.filter(thread=OuterRef("pk"), author_id=OuterRef("patient__user_id"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    threads = {
        thread.pk: thread
        for thread in Thread.objects.filter(pk__in=thread_ids)
        .annotate(latest_id=Subquery(latest))
        .only("pk", "subject_sealed", "patient_id")
    }
    bodies = Message.objects.only("pk", "body_sealed").in_bulk([t.latest_id for t in threads.values() if t.latest_id])
    facts = {}
    for item in items:
        thread = threads.get(int(item.source_id)) if item.source_type == Thread._meta.label_lower else None
        if thread is None:
            continue
        message = bodies.get(thread.latest_id)
        facts[item.pk] = ItemFacts(
            title=subject_of(thread),
            preview=first_line(body_of(message)) if message else "",
            source_ids=(message.pk,) if message else (),
        )
    return facts


def inbox_counts(user: User, *, now: datetime | None = None) -> dict[str, int]:
    """Open, overdue, urgent, mine and unassigned counts in one query, once per
    request (``portal.request_scope``): the navigation, the dashboard and the inbox
    page share it."""
    return once_per_request(("inbox_counts", user.pk), lambda: _inbox_counts(user, now=now or timezone.now()))


def _inbox_counts(user: User, *, now: datetime) -> dict[str, int]:
    counts: dict[str, int] = (
        inbox_items_for(user)
        .exclude(status=InboxStatus.DONE)
        .aggregate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            urgent=Count("pk", filter=Q(priority_rank=PRIORITY_RANK[InboxPriority.URGENT])),
            mine=Count("pk", filter=Q(assignee=user)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            # The Alerts badge: open alert items (one per patient episode), the same
            # thing the inbox counts, so the two badges never disagree.
            alerts=Count("pk", filter=Q(kind=InboxKind.ALERT)),
        )
    )
    return counts


def care_team_colleagues(patient: Patient, *, exclude: User | None = None) -> list[User]:
    """Clinicians the patient has chosen: who a case may be forwarded or assigned to."""
    team = care_team_of(patient).order_by("last_name", "first_name", "pk")
    if exclude is not None:
        team = team.exclude(pk=exclude.pk)
    return list(team)


def patient_urgency(no_item_rank: int) -> dict[str, Coalesce]:
    """Annotations that rank a queryset of patients by their open inbox items (the
    patients app's patient list, through ``patients.plugins``): ``open_alert_count``
    and ``urgency_rank``, the most urgent open item (urgent 0, high 1, normal 2), or
    ``no_item_rank`` without one. Two subqueries per query, not a look-up per row."""
    open_items = InboxItem.objects.filter(patient=OuterRef("pk")).exclude(status=InboxStatus.DONE)
    open_alerts = (
        open_items.filter(kind=InboxKind.ALERT).order_by().values("patient").annotate(n=Count("pk")).values("n")[:1]
    )
    top_rank = open_items.order_by("priority_rank").values("priority_rank")[:1]
    return {
        "open_alert_count": Coalesce(Subquery(open_alerts), Value(0)),
        "urgency_rank": Coalesce(Subquery(top_rank), Value(no_item_rank)),
    }
