"""The rows of the triage queue, ready for ``messaging/_inbox_rows.html``.

Each row carries the facts a clinician triages on (issue 16): kind, priority, the
patient and the day since the procedure, the subject or the rules' plain titles, a
preview, due time, status and assignee. Everything a row needs is worked out here in
plain Python from one page of rows and its facts (a constant number of queries,
``messaging.selectors.inbox_rows`` and ``messaging.inbox_kinds.facts_of``), so the
template only prints strings: no lookups through related objects, no ``{% url %}``
per row (the addresses are reversed once, with ``ITEM_ID_SLOT`` for the id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.urls import reverse
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

from messaging.inbox_kinds import ItemFacts
from messaging.models import InboxItem, InboxKind, InboxPriority, InboxStatus
from patients.selectors import day_since_procedure_at

ITEM_ID_SLOT = 918273645  # stands for the item's id in an address reversed once per page
KIND_LABELS, STATUS_LABELS = dict(InboxKind.choices), dict(InboxStatus.choices)
# A row's kind in a narrow column; the full label is its title (and the pane's).
KIND_SHORT = {InboxKind.LAB_REQUEST: "Lab req.", InboxKind.LAB_RESULT: "Lab result"}
PRIORITY_LABELS = dict(InboxPriority.choices)
# Priority in words and a shape, never by colour alone.
PRIORITY_MARK = {InboxPriority.URGENT: "⚠", InboxPriority.HIGH: "▲", InboxPriority.NORMAL: ""}
STATUS_CHANGES = {
    InboxStatus.IN_PROGRESS: "Seen",
    InboxStatus.DONE: "Done",
}


@dataclass(frozen=True)
class InboxRow:
    pk: int
    kind: str
    kind_label: str
    kind_short: str
    count: int  # sources on the item: an alert episode's alerts
    priority: str
    priority_label: str
    priority_mark: str
    patient: str
    day: int | None
    title: str
    preview: str
    red_flag: bool
    due_iso: str
    due: str
    overdue: bool
    status: str
    status_label: str
    assignee: str  # "Me", a name, or "" (unassigned)
    mine: bool
    pane_url: str
    update_url: str

    @property
    def is_done(self) -> bool:
        return self.status == InboxStatus.DONE

    @property
    def css_class(self) -> str:
        """The row's classes (priority, overdue, done): one look-up in the template, not three."""
        overdue = " is-overdue" if self.overdue else ""
        done = " is-done" if self.is_done else ""
        return f"inbox-row row-{self.priority}{overdue}{done}"

    @property
    def select_label(self) -> str:
        return f"Select: {self.patient}, {self.title}"

    def __getitem__(self, name: str) -> object:
        # The template engine tries ``row[name]`` before ``row.name``: answering it here
        # spares it a caught TypeError for each of the row's ~40 look-ups (50 rows a page).
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


def short_time(moment: datetime, time_zone: tzinfo) -> str:
    """ "Sat 5 Dec 16:00" (the template's "D j M H:i")."""
    local = moment.astimezone(time_zone)
    return f"{WEEKDAYS_ABBR[local.weekday()]} {local.day} {MONTHS_3[local.month].title()} {local:%H:%M}"


def _addresses(name: str) -> tuple[str, str]:
    before, after = reverse(name, args=[ITEM_ID_SLOT]).split(str(ITEM_ID_SLOT))
    return before, after


def inbox_rows_of(
    items: list[InboxItem], *, facts: dict[int, ItemFacts], me: int, now: datetime, time_zone: tzinfo
) -> list[InboxRow]:
    pane, update = _addresses("messaging:inbox_item"), _addresses("messaging:inbox_update")
    rows = []
    for item in items:
        fact = facts.get(item.pk) or ItemFacts()
        if item.assignee_id == me:
            assignee = "Me"
        elif item.assignee is not None:
            assignee = item.assignee.display_name
        else:
            assignee = ""
        rows.append(
            InboxRow(
                pk=item.pk,
                kind=item.kind,
                kind_label=KIND_LABELS.get(item.kind, item.kind),
                kind_short=KIND_SHORT.get(item.kind, KIND_LABELS.get(item.kind, item.kind)),
                count=fact.count,
                priority=item.priority,
                priority_label=PRIORITY_LABELS.get(item.priority, item.priority),
                priority_mark=PRIORITY_MARK.get(item.priority, ""),
                patient=item.patient.name,
                day=day_since_procedure_at(getattr(item, "procedure_at", None), now),
                title=fact.title or item.summary,
                preview=fact.preview,
                red_flag=item.red_flag,
                due_iso=item.due_at.astimezone(time_zone).isoformat(),
                due=short_time(item.due_at, time_zone),
                overdue=item.status != InboxStatus.DONE and item.due_at < now,
                status=item.status,
                status_label=STATUS_LABELS.get(item.status, item.status),
                assignee=assignee,
                mine=item.assignee_id == me,
                pane_url=f"{pane[0]}{item.pk}{pane[1]}",
                update_url=f"{update[0]}{item.pk}{update[1]}",
            )
        )
    return rows


def change_words(before: InboxItem, after: InboxItem, *, me: int) -> str:
    """What a row action changed, in words, for the page's status line:
    "Ann Lee's alert: status New → Done; assigned to you"."""
    changes = []
    if before.status != after.status:
        changes.append(f"status {STATUS_LABELS[before.status]} → {STATUS_LABELS[after.status]}")
    if before.assignee_id != after.assignee_id:
        if after.assignee_id == me:
            changes.append("assigned to you")
        elif after.assignee_id is None:
            changes.append("unassigned")
        else:
            changes.append(f"assigned to {after.assignee.display_name}")
    if before.priority != after.priority:
        changes.append(f"priority {PRIORITY_LABELS[before.priority]} → {PRIORITY_LABELS[after.priority]}")
    what = f"{after.patient.name}'s {KIND_LABELS.get(after.kind, after.kind).lower()}"
    return f"{what}: {'; '.join(changes)}." if changes else f"{what}: nothing changed."
