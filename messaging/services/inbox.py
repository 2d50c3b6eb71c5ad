"""The triage inbox: ``post_inbox_item`` is how every app feeds it; clinicians set
status, assignee and priority (one item or many at once)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from messaging.inbox_kinds import ItemFacts, follow_status
from messaging.models import PRIORITY_RANK, InboxItem, InboxKind, InboxPriority, InboxStatus
from patients.models import Patient
from portal.accounts.models import User
from portal.clinic.selectors import current_clinic
from portal.validation import NOT_A_LIST, REQUIRED, object_id

DEFAULT_DUE: dict[str, timedelta | None] = {
    InboxPriority.URGENT: timedelta(minutes=15),
    InboxPriority.HIGH: timedelta(hours=4),
    InboxPriority.NORMAL: None,  # the next business day (the clinic's opening hours)
}


def default_due_at(priority: str, *, now: datetime | None = None) -> datetime:
    """Due time by priority: urgent 15 min, high 4 h, open or closed (opening hours
    never push them later); normal the next business day of the clinic's opening hours
    (``Clinic.next_business_day``: Friday evening, the weekend and closed days give the
    next open day), or the next weekday when the clinic has set no hours. Overridable
    with ``AFTERCARE_INBOX_DUE``. An internal deadline for the queue's order, never
    shown to a patient as a promise; a patient's message is due as the clinic's
    settings say (``message_due_at``)."""
    now = now or timezone.now()
    configured: timedelta | None = getattr(settings, "AFTERCARE_INBOX_DUE", {}).get(priority)
    if configured is not None:
        return now + configured
    delta = DEFAULT_DUE.get(priority)
    if delta is not None:
        return now + delta
    business_day = current_clinic().next_business_day(now)
    if business_day is not None:
        return business_day
    due = now + timedelta(days=1)
    while due.weekday() >= 5:  # Saturday, Sunday
        due += timedelta(days=1)
    return due


def hold_patient_queue(patient_ids: Iterable[int]) -> None:
    """Serialise the writes to these patients' inbox episodes, inside the caller's
    transaction: an alert joining an episode and a clinician closing it take the
    patients' row locks first (ids in order), so one waits for the other and neither
    deadlocks on the alert and item rows they each lock next. Whoever comes second
    sees the first's result: an alert raised while its item is being closed opens a
    new item instead of being resolved unseen. ``no_key``: rows that only point at
    the patient (a diary entry being saved) are not held up."""
    ids = sorted({int(pk) for pk in patient_ids})
    if ids:
        list(Patient.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))


def new_inbox_item(
    *,
    kind: str,
    patient: Patient,
    priority: str,
    summary: str,
    source_type: str,
    source_id: str,
    link: str = "",
    due_at: datetime | None = None,
    addressed_to: User | None = None,
    red_flag: bool = False,
) -> InboxItem:
    """A new item, unsaved, as ``post_inbox_item`` starts one (the scan inserts the
    new episodes of a whole run at once: ``open_new_episode_items``)."""
    return InboxItem(
        kind=kind,
        patient=patient,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        due_at=due_at or default_due_at(priority),
        summary=summary[:200],
        link=link,
        source_type=source_type,
        source_id=source_id,
        addressed_to=addressed_to,
        red_flag=red_flag,
    )


def patients_with_open_episode(*, kind: str, patient_ids: Iterable[int]) -> set[int]:
    """Which of these patients have an open item of ``kind`` (an episode a new source
    would join). Call it holding their queues (``hold_patient_queue``): nobody can open
    or close one of their episodes until the caller commits."""
    return set(
        InboxItem.objects.filter(kind=kind, patient_id__in=list(patient_ids))
        .exclude(status=InboxStatus.DONE)
        .values_list("patient_id", flat=True)
    )


def open_new_episode_items(items: Sequence[InboxItem]) -> list[InboxItem]:
    """Insert new episodes' items (``new_inbox_item``) in one statement, for patients
    the caller holds and found without an open episode (``patients_with_open_episode``);
    the unique source key still refuses a second item for a source."""
    return InboxItem.objects.bulk_create(items)


@transaction.atomic
def post_inbox_item(
    *,
    kind: str,
    patient: Patient,
    priority: str,
    summary: str,
    source: models.Model | None = None,
    source_type: str = "",
    source_id: str = "",
    link: str = "",
    due_at: datetime | None = None,
    addressed_to: User | None = None,
    red_flag: bool = False,
    episode: bool = False,
) -> InboxItem:
    """Add an item to the care team's inbox, once per source (idempotent).

    Posting again for the same source returns the existing item, raising its
    priority if the new one is higher and taking the new summary (an alert that
    another rule joined says so).

    ``episode``: one item per patient episode (alerts, API.md): the source joins the
    patient's open item of this kind when there is one (its priority becomes the
    highest, its due time the earliest), else it starts the next episode's item.
    """
    if source is not None:
        source_type, source_id = source._meta.label_lower, str(source.pk)
    if episode:
        hold_patient_queue([patient.pk])
        existing = (
            InboxItem.objects.select_for_update()
            .filter(kind=kind, patient=patient)
            .exclude(status=InboxStatus.DONE)
            .order_by("id")
            .first()
        )
    else:
        existing = InboxItem.objects.filter(source_type=source_type, source_id=source_id, kind=kind).first()
    if existing is None:
        try:
            with transaction.atomic():
                item = new_inbox_item(
                    kind=kind,
                    patient=patient,
                    priority=priority,
                    summary=summary,
                    source_type=source_type,
                    source_id=source_id,
                    link=link,
                    due_at=due_at,
                    addressed_to=addressed_to,
                    red_flag=red_flag,
                )
                item.save(force_insert=True)
                return item
        except IntegrityError:
            # A concurrent post for the same source won; use its row.
            existing = InboxItem.objects.select_for_update().get(
                source_type=source_type, source_id=source_id, kind=kind
            )
    changed = []
    if episode and existing.status == InboxStatus.DONE:
        # The source started an item that was closed while it stayed open (rows from
        # before episodes): it needs a look again.
        existing.status, existing.done_at = InboxStatus.NEW, None
        changed += ["status", "done_at"]
    if PRIORITY_RANK[priority] < existing.priority_rank:
        existing.priority = priority
        existing.priority_rank = PRIORITY_RANK[priority]
        existing.due_at = min(existing.due_at, due_at or default_due_at(priority))
        changed += ["priority", "priority_rank", "due_at"]
    if summary[:200] != existing.summary:
        existing.summary = summary[:200]
        changed.append("summary")
    if red_flag and not existing.red_flag:
        existing.red_flag = True
        changed.append("red_flag")
    if changed:
        existing.save(update_fields=[*changed, "updated_at"])
    return existing


def share_inbox_item_with_triage(*, source: models.Model, kind: str) -> int:
    """Show a source's item to the clinic's triage pool as well as the care team (an
    escalated urgent alert, CLINICAL.md section 7). Returns how many items changed."""
    return InboxItem.objects.filter(
        kind=kind, source_type=source._meta.label_lower, source_id=str(source.pk), shared_with_triage=False
    ).update(shared_with_triage=True, updated_at=timezone.now())


# --- Triage: status, assignee, priority ---------------------------------------------------

UNSET: Any = object()


def _apply_status(item: InboxItem, status: str, *, now: datetime) -> None:
    if status == InboxStatus.DONE and item.status != InboxStatus.DONE:
        item.done_at = now
    elif status != InboxStatus.DONE:
        item.done_at = None
    item.status = status


def _apply_priority(item: InboxItem, priority: str, *, now: datetime) -> None:
    """Raising the priority brings the due time forward (never later than it
    was); lowering it lets the item be due as the new priority allows from
    when it arrived."""
    new_rank = PRIORITY_RANK[priority]
    if new_rank < item.priority_rank:
        item.due_at = min(item.due_at, default_due_at(priority, now=now))
    elif new_rank > item.priority_rank:
        item.due_at = max(item.due_at, default_due_at(priority, now=item.created_at))
    item.priority = priority
    item.priority_rank = new_rank


def _check_assignee(assignee: User | None, items: list[InboxItem]) -> None:
    """Only a clinician who has every item in their inbox may be assigned (the care
    team, or the triage pool for what reaches it: CLINICAL.md section 7); a referral
    stays with the clinician it was sent to."""
    if assignee is None:
        return
    from messaging.selectors import inbox_items_for

    if any(item.kind == InboxKind.REFERRAL and item.addressed_to_id != assignee.pk for item in items):
        raise ValidationError({"assignee": ["A referral stays with the clinician it was sent to."]})
    ids = {item.pk for item in items}
    reachable = set(inbox_items_for(assignee).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - reachable:
        raise ValidationError(
            {"assignee": ["This person is not a clinician on the patient's care team, so they cannot be assigned."]}
        )


def resolve_assignee(value: object, *, by: User) -> User | None:
    """``None`` (unassign), ``"me"`` or a user id -> a User or None; an unknown id is a 400."""
    if value is None or value == "":
        return None
    if value == "me":
        return by
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValidationError({"assignee": ["Use a clinician id, 'me' or null."]})
    try:
        pk = int(value)
    except (ValueError, OverflowError):
        raise ValidationError({"assignee": ["Use a clinician id, 'me' or null."]}) from None
    user: User | None = User.objects.filter(pk=pk).first()
    if user is None:
        raise ValidationError(
            {"assignee": ["This person is not a clinician on the patient's care team, so they cannot be assigned."]}
        )
    return user


def _check_triage_values(status: str, priority: str) -> None:
    errors: dict[str, list[str]] = {}
    if status is not UNSET and status not in InboxStatus.values:
        errors["status"] = [f"Use one of: {', '.join(InboxStatus.values)}."]
    if priority is not UNSET and priority not in InboxPriority.values:
        errors["priority"] = [f"Use one of: {', '.join(InboxPriority.values)}."]
    if errors:
        raise ValidationError(errors)


def _triage(item: InboxItem, *, status: str, assignee: User | None, priority: str, now: datetime) -> None:
    if status is not UNSET and status != item.status:
        _apply_status(item, status, now=now)
    if assignee is not UNSET:
        item.assignee = assignee
    if priority is not UNSET:
        _apply_priority(item, priority, now=now)
    item.save(update_fields=["status", "done_at", "assignee", "priority", "priority_rank", "due_at", "updated_at"])


@transaction.atomic
def update_inbox_item(
    *, item: InboxItem, by: User, status: str = UNSET, assignee: User | None = UNSET, priority: str = UNSET
) -> InboxItem:
    """Set status, assignee (a User or None) and/or priority of one item."""
    if status is UNSET and assignee is UNSET and priority is UNSET:
        raise ValidationError({"non_field_errors": ["Give a status, an assignee or a priority."]})
    _check_triage_values(status, priority)
    if assignee is not UNSET:
        _check_assignee(assignee, [item])
    hold_patient_queue([item.patient_id])
    item = InboxItem.objects.select_for_update().get(pk=item.pk)
    now = timezone.now()
    moved = status is not UNSET and status != item.status
    _triage(item, status=status, assignee=assignee, priority=priority, now=now)
    if moved:
        # One status model: the item's sources follow (an alert item done resolves its alerts).
        follow_status([item], status=status, by=by, now=now)
    return item


@transaction.atomic
def set_status_from_source(*, item_id: int, status: str, unless: Sequence[str] = ()) -> InboxItem | None:
    """A source moved the item (an alert acknowledged puts its item in progress, the
    last of its alerts resolved makes it done), without telling the sources again.
    The caller holds the patient's queue (``hold_patient_queue``). ``unless``: the
    statuses that stay as they are (an item waiting for the patient is not put back
    in progress by an acknowledgement)."""
    item = InboxItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None or item.status == status or item.status in unless:
        return item
    _apply_status(item, status, now=timezone.now())
    item.save(update_fields=["status", "done_at", "updated_at"])
    return item


MAX_BULK = 200


def _item_ids(raw: object) -> list[int]:
    """The ids of a bulk change: a list of item ids, each once, in order."""
    if raw is None:
        raise ValidationError({"ids": [REQUIRED]})
    if not isinstance(raw, list | tuple):
        raise ValidationError({"ids": [NOT_A_LIST]})
    if len(raw) > MAX_BULK:
        raise ValidationError({"ids": [f"Change at most {MAX_BULK} items at once."]})
    return sorted({object_id(value, field="ids") for value in raw})


@transaction.atomic
def bulk_update_inbox_items(
    *,
    items: QuerySet[InboxItem],
    ids: object,
    by: User,
    status: str = UNSET,
    assignee: User | None = UNSET,
    priority: str = UNSET,
) -> int:
    """The same change to many items: all of them or none.

    ``items`` is the caller's visible inbox; an id outside it is refused like a
    missing one, so the answer never tells whether an item exists."""
    if status is UNSET and assignee is UNSET and priority is UNSET:
        raise ValidationError({"non_field_errors": ["Give a status, an assignee or a priority."]})
    ids = _item_ids(ids)
    if not ids:
        raise ValidationError({"ids": ["Select at least one item."]})
    if len(ids) > MAX_BULK:
        raise ValidationError({"ids": [f"Change at most {MAX_BULK} items at once."]})
    _check_triage_values(status, priority)
    # The patients' queues first (as an alert being raised does), then the items in id
    # order: two bulk edits, or a bulk edit and a new alert, never deadlock each other.
    hold_patient_queue(items.filter(pk__in=ids).values_list("patient_id", flat=True))
    rows = list(items.filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk"))
    if len(rows) != len(ids):
        raise ValidationError({"ids": ["Some of these items are not in your inbox."]})
    if assignee is not UNSET:
        _check_assignee(assignee, rows)
    now = timezone.now()
    moved = [item for item in rows if status is not UNSET and item.status != status]
    for item in rows:
        _triage(item, status=status, assignee=assignee, priority=priority, now=now)
    if moved:
        follow_status(moved, status=status, by=by, now=now)
    return len(rows)


def preview_reads(items: Sequence[InboxItem], facts: dict[int, ItemFacts]) -> dict[int, str]:
    """The messages whose first line a page of rows shows, per patient, by id: the
    detail of that patient's one read event for the page ("previewed messages 12, 15"),
    so each preview is audited as a read without a second event per request."""
    shown: dict[int, list[int]] = {}
    for item in items:
        if item.kind == InboxKind.MESSAGE:
            shown.setdefault(item.patient_id, []).extend((facts.get(item.pk) or ItemFacts()).source_ids)
    return {pid: "previewed messages " + ", ".join(map(str, ids)) for pid, ids in shown.items() if ids}
