"""The rows of the triage queue, as HTML.

Fifty rows of a page, each with its triage form, were most of the inbox page's time
in the template engine (about 0.6 ms a row of variable lookups, a ``{% url %}`` and two
date filters). A row is built here with ``format_html``, as Django admin builds the
rows of its change lists (``admin_list.items_for_result``); every value is escaped, and
labels and dates are the ones the template's ``get_*_display`` and ``date`` gave.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.urls import reverse
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from messaging.models import InboxItem, InboxKind, InboxPriority, InboxStatus


def _options(choices, selected: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if value == selected else "", label) for value, label in choices),
    )


# Each row's <select> options, built once per possible value.
STATUS_OPTIONS = {value: _options(InboxStatus.choices, value) for value in InboxStatus.values}
PRIORITY_OPTIONS = {value: _options(InboxPriority.choices, value) for value in InboxPriority.values}
ITEM_ID_SLOT = 918273645  # stands for the item's id in the reversed update address
KIND_LABELS, STATUS_LABELS = dict(InboxKind.choices), dict(InboxStatus.choices)
PRIORITY_LABELS = dict(InboxPriority.choices)
PRIORITY_MARK = {InboxPriority.URGENT: "⚠ ", InboxPriority.HIGH: "▲ "}
# A red-flag message (CLINICAL.md section 8) says so in words on its row, not only by colour.
RED_FLAG_TAG = mark_safe('<strong class="red-flag-tag">⚑ Warning sign</strong> ')

ROW = (
    '<tr class="inbox-row row-{priority}{overdue_class}" data-row>\n'
    '      <td><input type="checkbox" name="ids" value="{pk}" form="bulk-form" aria-label="Select item {pk}"'
    " data-select></td>\n"
    '      <td><span class="prio prio-{priority}">{mark}{priority_label}</span></td>\n'
    "      <td>\n"
    '        <span class="kind">{kind_label}</span>\n'
    "        {red_flag}{patient}\n"
    '        <div class="summary">{summary}</div>\n'
    "      </td>\n"
    "      <td>\n"
    '        <time datetime="{due_iso}">{due}</time>\n'
    "        {overdue_tag}\n"
    "      </td>\n"
    "      <td>{status_label}</td>\n"
    "      <td>{assignee}</td>\n"
    "      <td>\n"
    '        <form class="row-actions" method="post" action="{action}">\n'
    '          <input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">\n'
    '          <input type="hidden" name="next" value="{here}">\n'
    "          {claim}\n"
    '          <label class="visually-hidden" for="st-{pk}">Status of item {pk}</label>\n'
    '          <select id="st-{pk}" name="status">{status_options}</select>\n'
    '          <label class="visually-hidden" for="pr-{pk}">Priority of item {pk}</label>\n'
    '          <select id="pr-{pk}" name="priority">{priority_options}</select>\n'
    '          <button type="submit">Save</button>\n'
    "        </form>\n"
    "      </td>\n"
    "    </tr>"
)


def inbox_row_html(
    item: InboxItem, *, me: int, now: datetime, time_zone: tzinfo, here: str, csrf_token: str, action: str
) -> SafeString:
    """One row of the queue: what happened to whom, when it is due, who has it, and
    the form that claims it or changes its status and priority (``action``)."""
    overdue = item.status != InboxStatus.DONE and item.due_at < now
    name = item.patient.name
    if item.link:
        patient = format_html('<a class="item-link" href="{}" data-open>{}</a>', item.link, name)
    else:
        patient = format_html('<span class="item-link" tabindex="0" data-open>{}</span>', name)
    if item.assignee_id == me:
        assignee = mark_safe("<strong>Me</strong>")
    elif item.assignee is not None:
        assignee = format_html("{}", item.assignee.display_name)
    else:
        assignee = mark_safe('<span class="muted">Unassigned</span>')
    due = item.due_at.astimezone(time_zone)
    return format_html(
        ROW,
        pk=item.pk,
        priority=item.priority,
        overdue_class=" is-overdue" if overdue else "",
        mark=PRIORITY_MARK.get(item.priority, ""),
        priority_label=PRIORITY_LABELS.get(item.priority, item.priority),
        kind_label=KIND_LABELS.get(item.kind, item.kind),
        patient=patient,
        summary=item.summary,
        red_flag=RED_FLAG_TAG if item.red_flag else "",
        due_iso=due.isoformat(),  # the date filter's "c"
        due=f"{WEEKDAYS_ABBR[due.weekday()]} {due.day} {MONTHS_3[due.month].title()}, {due:%H:%M}",  # "D j M, H:i"
        overdue_tag=mark_safe('<strong class="overdue-tag">Overdue</strong>') if overdue else "",
        status_label=STATUS_LABELS.get(item.status, item.status),
        assignee=assignee,
        action=action,
        csrf_token=csrf_token,
        here=here,
        claim=""
        if item.assignee_id == me
        else mark_safe('<button type="submit" name="claim" value="1" data-claim>Claim</button>'),
        status_options=STATUS_OPTIONS[item.status],
        priority_options=PRIORITY_OPTIONS[item.priority],
    )


def inbox_rows_html(
    items: list[InboxItem], *, me: int, now: datetime, time_zone: tzinfo, here: str, csrf_token: str
) -> list[SafeString]:
    # Each row posts to its own item's address; the pattern is reversed once.
    action = reverse("messaging:inbox_update", args=[ITEM_ID_SLOT]).split(str(ITEM_ID_SLOT))
    return [
        inbox_row_html(
            item,
            me=me,
            now=now,
            time_zone=time_zone,
            here=here,
            csrf_token=csrf_token,
            action=f"{action[0]}{item.pk}{action[1]}",
        )
        for item in items
    ]
