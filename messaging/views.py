"""Messaging pages: the clinician inbox, a thread, the messages list. Thin: they
call the same selectors and services as the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from messaging import selectors, services
from messaging.api import attachment_response
from messaging.forms import ForwardForm, MessageForm, NewThreadForm, ReplyForm
from messaging.inbox_kinds import facts_of
from messaging.models import InboxItem, InboxKind, InboxPriority, InboxStatus, Message
from messaging.presenters import InboxRow, change_words, inbox_rows_of, short_time
from messaging.red_flags import mentions_red_flag
from patients.presenters import tz_of
from patients.routing import Audience, responsible_for
from patients.selectors import own_patient, patient_for, patients_visible_to
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.clinic.selectors import current_clinic
from portal.pages import role_required

INBOX_PAGE_SIZE = 50
THREADS_PAGE_SIZE = 30


def _form_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form fields it names."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _held_for_red_flag(request: HttpRequest, form, *texts: str) -> bool:
    """A patient's message that mentions a red flag is not sent at once: the page shows
    the urgent instruction and the diary first (CLINICAL.md section 8), with the message
    kept as typed and a "send anyway" (nothing of it is logged or stored)."""
    if request.user.role != Role.PATIENT or form.cleaned_data.get("send_anyway"):
        return False
    if not mentions_red_flag(*texts):
        return False
    form.hold_for_red_flag()
    return True


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- The inbox ------------------------------------------------------------------------------

QUICK_VIEWS = [
    ("open", "All open", {}),
    ("mine", "Mine", {"assignee": "me"}),
    ("unassigned", "Unassigned", {"assignee": "unassigned"}),
    ("urgent", "Urgent", {"priority": InboxPriority.URGENT}),
    ("overdue", "Overdue", {"overdue": "1"}),
]

BULK_ACTIONS = [
    ("assign:me", "Assign to me"),
    ("assign:none", "Unassign"),
    (f"status:{InboxStatus.IN_PROGRESS}", "Mark in progress"),
    (f"status:{InboxStatus.WAITING}", "Mark waiting"),
    (f"status:{InboxStatus.DONE}", "Mark done"),
    (f"status:{InboxStatus.NEW}", "Mark new"),
    (f"priority:{InboxPriority.URGENT}", "Set urgent"),
    (f"priority:{InboxPriority.HIGH}", "Set high"),
    (f"priority:{InboxPriority.NORMAL}", "Set normal"),
]


def _quick_view_of(filters: selectors.InboxFilters) -> str:
    for key, _label, params in QUICK_VIEWS:
        if filters == selectors.inbox_filters_from(params):
            return key
    return ""


@role_required(Role.CLINICIAN)
def inbox(request: HttpRequest) -> HttpResponse:
    """The triage queue. Filters are query parameters (bookmarkable); every
    control is a plain form, so it works by keyboard and without scripts."""
    try:
        filters = selectors.inbox_filters_from(request.GET)
        filter_error = ""
    except ValidationError as exc:
        filters = selectors.InboxFilters()
        filter_error = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
    now = timezone.now()
    items = selectors.filtered_inbox(request.user, filters, now=now)
    counts = selectors.inbox_counts(request.user, now=now)
    current_view = _quick_view_of(filters)
    paginator = Paginator(items.values_list("pk", flat=True), INBOX_PAGE_SIZE)
    if current_view:
        # Each quick view's total is one of the counts already taken (same
        # ``now``): no second pass over the queue for the pager.
        paginator.count = counts[current_view]
    page = paginator.get_page(request.GET.get("page"))
    items_shown = selectors.inbox_page_rows(page.object_list)
    facts = facts_of(items_shown)
    # Each row names a patient and what happened (health data): one read event per
    # patient, one INSERT; it names the messages whose first line the page shows.
    audit_read(
        user=request.user,
        patients=[row.patient for row in items_shown],
        request=request,
        action="inbox.read",
        details=services.preview_reads(items_shown, facts),
    )
    here = request.get_full_path()
    rows = inbox_rows_of(items_shown, facts=facts, me=request.user.pk, now=now, time_zone=tz_of(request.user))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messaging/inbox.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "filter_error": filter_error,
            "counts": counts,
            "quick_views": [
                {"key": key, "label": label, "href": f"?{urlencode(params)}" if params else "?", "count": counts[key]}
                for key, label, params in QUICK_VIEWS
            ],
            "current_view": current_view,
            "kinds": InboxKind.choices,
            "statuses": [("open", "Open"), *InboxStatus.choices, ("all", "All")],
            "priorities": InboxPriority.choices,
            "bulk_actions": BULK_ACTIONS,
            "query": query.urlencode(),
            "status_line": "",
            "here": here,
        },
    )


def _triage_from_post(request: HttpRequest) -> dict:
    changes: dict = {}
    if "claim" in request.POST:
        changes["assignee"] = request.user
    if "unassign" in request.POST:
        changes["assignee"] = None
    if request.POST.get("status"):
        changes["status"] = request.POST["status"]
    if request.POST.get("priority"):
        changes["priority"] = request.POST["priority"]
    return changes


def _row_of(request: HttpRequest, item: InboxItem, *, now: datetime) -> InboxRow:
    """The row again after an action on it: a read of the item (its preview included)."""
    audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
    facts = facts_of([item])
    return inbox_rows_of([item], facts=facts, me=request.user.pk, now=now, time_zone=tz_of(request.user))[0]


@login_required
@require_POST
@role_required(Role.CLINICIAN)
def inbox_update(request: HttpRequest, item_id: int) -> HttpResponse:
    """A row's (or the pane's) action. With htmx the answer is the row again, with a
    status line saying what changed (out of band): no reload, the list keeps its
    focus and selection (inbox.js); without scripts, back to the inbox."""
    item = selectors.inbox_item_for(request.user, item_id)
    try:
        services.update_inbox_item(item=item, by=request.user, **_triage_from_post(request))
    except ValidationError as exc:
        words, ok = " ".join(exc.messages), False
    else:
        after = selectors.inbox_row_for(request.user, item.pk)
        words, ok = change_words(item, after, me=request.user.pk), True
    if not request.htmx:
        (flash.success if ok else flash.error)(request, words)
        return redirect(_safe_next(request, reverse("messaging:inbox")))
    now = timezone.now()
    row = _row_of(request, selectors.inbox_row_for(request.user, item.pk), now=now)
    return render(
        request,
        "messaging/_inbox_row_changed.html",
        {"rows": [row], "status_line": words, "ok": ok, "here": _safe_next(request, reverse("messaging:inbox"))},
    )


@login_required
@require_GET
@role_required(Role.CLINICIAN)
def inbox_item(request: HttpRequest, item_id: int) -> HttpResponse:
    """One item beside the list (the preview pane, for htmx) or on its own page: the
    thread or the alert's facts, the patient's contact, message patient, order labs,
    forward, and the next item in the queue."""
    item = selectors.inbox_row_for(request.user, item_id)
    audit_read(user=request.user, patient_id=item.patient_id, obj=item, request=request, action="inbox.item.read")
    now = timezone.now()
    facts = facts_of([item])  # its preview is part of this read of the item
    row = inbox_rows_of([item], facts=facts, me=request.user.pk, now=now, time_zone=tz_of(request.user))[0]
    fact = facts.get(item.pk)
    next_id = selectors.next_inbox_item_id(request.user, item)
    patient = item.patient
    context = {
        "row": row,
        "email": patient.user.email,
        "phone": patient.phone,
        "phone_href": patient.phone_href,
        "chart_url": reverse("patients:chart", args=[patient.pk]),
        "message_url": f"{reverse('messaging:threads')}?{urlencode({'patient': patient.pk})}#compose-h",
        "labs_url": f"{reverse('labs:request_new')}?{urlencode({'patient': patient.pk})}",
        "forward_url": "",
        "next_url": reverse("messaging:inbox_item", args=[next_id]) if next_id else "",
        "alert_details": fact.details if fact and item.kind == InboxKind.ALERT else (),
        "newest_alert_url": item.link if item.kind == InboxKind.ALERT else "",
        "messages_shown": [],
        "statuses": InboxStatus.choices,
        "priorities": InboxPriority.choices,
        "here": reverse("messaging:inbox"),
        "in_list": bool(request.htmx),
    }
    if item.kind == InboxKind.ALERT and fact and fact.source_ids:
        context["labs_url"] = f"{reverse('labs:request_new')}?{urlencode({'alert': fact.source_ids[0]})}"
    thread = selectors.thread_of_item(request.user, item)
    if thread is not None:
        thread_url = reverse("messaging:thread", args=[thread.pk])
        context["message_url"] = f"{thread_url}#reply-h"
        context["forward_url"] = f"{thread_url}#forward-h"
        context["messages_shown"] = [
            {
                "author": message.author.display_name,
                "from_patient": message.author_id == patient.user_id,
                "at": short_time(message.created_at, tz_of(request.user)),
                "body": selectors.body_of(message),
            }
            for message in selectors.latest_messages_of(thread, limit=6)
        ]
    template = "messaging/_inbox_pane.html" if request.htmx else "messaging/inbox_item.html"
    return render(request, template, context)


@login_required
@require_POST
@role_required(Role.CLINICIAN)
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    verb, _, value = action.partition(":")
    changes: dict = {}
    if verb == "assign":
        changes["assignee"] = request.user if value == "me" else None
    elif verb in ("status", "priority"):
        changes[verb] = value
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    try:
        if not changes:
            raise ValidationError({"action": ["Choose what to do with the selected items."]})
        updated = services.bulk_update_inbox_items(
            items=selectors.inbox_items_for(request.user), ids=ids, by=request.user, **changes
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, f"{updated} item{'s' if updated != 1 else ''} updated.")
    return redirect(_safe_next(request, reverse("messaging:inbox")))


# --- Threads ------------------------------------------------------------------------------


@dataclass
class ShownMessage:
    id: int
    author: str
    author_role: str
    is_mine: bool
    is_new: bool
    body: str
    created_at: datetime
    attachments: list[dict] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)


def _shown(message: Message, user) -> ShownMessage:
    receipts = [
        {"name": read.user.display_name, "role": read.user.role, "read_at": read.read_at}
        for read in message.reads.all()
        if read.user_id != message.author_id
    ]
    return ShownMessage(
        id=message.pk,
        author=message.author.display_name,
        author_role=message.author.role,
        is_mine=message.author_id == user.pk,
        is_new=message.author_id != user.pk and not any(read.user_id == user.pk for read in message.reads.all()),
        body=selectors.body_of(message),
        created_at=message.created_at,
        attachments=[
            {
                "id": attachment.pk,
                "filename": selectors.filename_of(attachment),
                "content_type": attachment.content_type,
                "size": attachment.size,
            }
            for attachment in message.attachments.all()
        ],
        receipts=receipts,
    )


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.CLINICIAN)
def thread_page(request: HttpRequest, thread_id: int) -> HttpResponse:
    """A conversation: messages with attachments and read receipts, the reply
    form, and for clinicians the inbox status and forwarding."""
    thread = selectors.thread_for(request.user, thread_id)
    is_clinician = request.user.role == Role.CLINICIAN
    form_class = ReplyForm if is_clinician else MessageForm
    reply_form = form_class(request.POST or None, request.FILES or None, prefix="reply")
    held = False
    if request.method == "POST" and reply_form.is_valid():
        held = _held_for_red_flag(request, reply_form, reply_form.cleaned_data["body"])
    if request.method == "POST" and reply_form.is_valid() and not held:
        try:
            services.post_message(
                author=request.user,
                thread=thread,
                body=reply_form.cleaned_data["body"],
                attachments=reply_form.cleaned_data["attachments"],
                inbox_status=reply_form.cleaned_data.get("inbox_status") or None,
            )
        except ValidationError as exc:
            _form_errors(reply_form, exc)
        else:
            flash.success(request, "Message sent.")
            return redirect("messaging:thread", thread_id=thread.pk)

    messages = list(selectors.messages_of(thread))
    audit_read(
        user=request.user, patient_id=thread.patient_id, obj=thread, request=request, action="messaging.thread.read"
    )
    shown = [_shown(message, request.user) for message in messages]
    if request.method == "GET":
        services.mark_thread_read(user=request.user, thread=thread, messages=messages)

    context = {
        "thread": thread,
        "subject": selectors.subject_of(thread),
        "shown_messages": shown,
        "reply_form": reply_form,
        "is_clinician": is_clinician,
        "red_flag_held": held,
        "files_dropped": held and bool(request.FILES),
    }
    if is_clinician:
        colleagues = selectors.care_team_colleagues(thread.patient, exclude=request.user)
        context.update(
            {
                "colleagues": colleagues,
                "forward_form": ForwardForm(colleagues=colleagues, prefix="forward"),
                "forwards": [
                    {"forward": forward, "note": selectors.note_of(forward)}
                    for forward in selectors.forwards_of(thread)
                ],
                "inbox_item": selectors.message_item_of(thread),
                "item_statuses": InboxStatus.choices,
            }
        )
    else:
        context.update(_patient_compose_context(thread.patient))
    return render(request, "messaging/thread.html", context, status=400 if reply_form.errors else 200)


@login_required
@require_POST
@role_required(Role.CLINICIAN)
def forward(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_for(request.user, thread_id)
    colleagues = selectors.care_team_colleagues(thread.patient, exclude=request.user)
    form = ForwardForm(request.POST, colleagues=colleagues, prefix="forward")
    if form.is_valid():
        try:
            sent = services.forward_thread(
                thread=thread,
                by=request.user,
                to_id=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
                priority=form.cleaned_data["priority"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            flash.success(request, f"Forwarded to {sent.to.display_name}. It is in their inbox now.")
            return redirect("messaging:thread", thread_id=thread.pk)
    errors = "; ".join(" ".join(errors) for errors in form.errors.values())
    flash.error(request, f"Not forwarded: {errors}")
    return redirect("messaging:thread", thread_id=thread.pk)


@role_required(Role.PATIENT, Role.CLINICIAN)
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    return attachment_response(request, selectors.attachment_for(request.user, attachment_id))


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.CLINICIAN)
def thread_list(request: HttpRequest) -> HttpResponse:
    """Patients: their conversations and "write to your care team". Clinicians:
    threads of their care-team patients (``?patient=`` for one) and a new message."""
    user = request.user
    is_clinician = user.role == Role.CLINICIAN
    patient = None
    if is_clinician and request.GET.get("patient"):
        patient = patient_for(user, request.GET["patient"])
    patients = patients_visible_to(user).select_related("user") if is_clinician else None
    form = NewThreadForm(
        request.POST or None,
        request.FILES or None,
        patients=patients,
        initial={"patient": patient.pk} if patient else None,
        prefix="new",
    )
    held = False
    if request.method == "POST" and form.is_valid():
        held = _held_for_red_flag(request, form, form.cleaned_data.get("subject") or "", form.cleaned_data["body"])
    if request.method == "POST" and form.is_valid() and not held:
        try:
            thread = services.start_thread(
                author=user,
                subject=form.cleaned_data.get("subject"),
                body=form.cleaned_data["body"],
                patient=form.cleaned_data.get("patient"),
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            flash.success(request, "Message sent to the care team." if not is_clinician else "Message sent.")
            return redirect("messaging:thread", thread_id=thread.pk)

    threads = selectors.thread_list_for(user, patient_id=patient.pk if patient else None)
    page = Paginator(threads, THREADS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"thread": thread, "subject": selectors.subject_of(thread)} for thread in page.object_list]
    audit_read(
        user=user,
        patient_ids=[row["thread"].patient_id for row in rows],
        request=request,
        action="messaging.threads.list",
    )
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "patient": patient,
        "is_clinician": is_clinician,
        "red_flag_held": held,
        "files_dropped": held and bool(request.FILES),
    }
    if not is_clinician:
        context.update(_patient_compose_context(own_patient(user)))
    return render(request, "messaging/threads.html", context, status=400 if form.errors else 200)


def _patient_compose_context(patient) -> dict:
    """Who reads a patient's messages (CLINICAL.md section 7) and when the clinic answers."""
    responsible = responsible_for(patient)
    return {
        "care_team": list(responsible.clinicians) if responsible.audience == Audience.CARE_TEAM else [],
        "message_audience": responsible.audience,
        "clinic": current_clinic(),
    }
