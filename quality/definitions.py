"""What each quality figure counts, written once: the words the page shows
(``DEFINITIONS``) and the query expressions the figures are computed with, side by
side, so the two cannot drift apart.

- PDPH: a positional headache (``SymptomEntry.positional_headache``) the patient
  reported from the procedure to 5 days after it (ICHD-3 7.2.1: post-dural-puncture
  headache develops within 5 days of the puncture). Entries marked "entered in error"
  do not count.
- Blood-patch referral: the patient's case forwarded to an anesthesiologist (messaging's
  forwarding) within 14 days of the procedure.
- Acknowledgement of an alert: the first acknowledge of the alert, or the first time
  its inbox item was set to done, whichever came first (what the alert and the inbox
  record today: ``Alert.acknowledged_at``, also set by resolving, and
  ``InboxItem.done_at``). Only ``acknowledged_at`` below knows this.
- A patient's message waits for an answer from the first patient-side message after
  a clinician's (or the first of the thread) to the next message of a clinician.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Coalesce

from alerts.models import Alert
from messaging.models import InboxItem, InboxKind, Message, ThreadForward
from patients.models import SymptomEntry
from portal.accounts.models import Role, Specialty
from quality.sql import EarliestOf

# ICHD-3 7.2.1: the headache develops within 5 days of the lumbar puncture.
PDPH_ONSET = timedelta(days=5)
# A blood patch is considered after conservative care fails, usually in the first days;
# two weeks leaves room for a late referral without counting an unrelated one.
BLOOD_PATCH_WINDOW = timedelta(days=14)
BLOOD_PATCH_SPECIALTY = Specialty.ANESTHESIOLOGY
# Patients give feedback from day 3 (CLINICAL.md: day N counts from the procedure).
FEEDBACK_FROM_DAY = 3
# Counts under this are never shown (page, CSV, API): no patient can be recognised.
SMALL_COUNT = 5
# The 95 % Wilson score interval of a rate.
CONFIDENCE = 0.95


def urgent_ack_target() -> timedelta:
    """The acknowledgement target of an urgent alert: the escalation time (CLINICAL.md
    section 7: 15 minutes; ``AFTERCARE_ALERT_ESCALATION_MINUTES``)."""
    return timedelta(minutes=settings.AFTERCARE_ALERT_ESCALATION_MINUTES)


@dataclass(frozen=True)
class Definition:
    term: str
    text: str
    source: str = ""


def definitions() -> list[Definition]:
    """The page's definitions, from the same constants the queries use."""
    target = int(urgent_ack_target().total_seconds() // 60)
    return [
        Definition(
            "PDPH (post-dural-puncture headache)",
            f"A positional headache (worse sitting or standing, easing lying flat) that the patient reported in "
            f"the diary from the procedure to {PDPH_ONSET.days} days after it. Entries marked as entered in error "
            f"do not count. The rate is the share of the period's procedures with one; the 95 % interval is "
            f"Wilson's.",
            "ICHD-3 7.2.1",
        ),
        Definition(
            "Blood-patch referral",
            f"The patient's case forwarded to an anesthesiologist within {BLOOD_PATCH_WINDOW.days} days of the "
            f"procedure, counted once per procedure.",
        ),
        Definition(
            "Acknowledgement of an urgent alert",
            "The first time a clinician acknowledged the alert, or set its inbox item to done, whichever came "
            f"first. The share within {target} minutes counts every urgent alert of the period, acknowledged or "
            f"not; an alert still unacknowledged after {target} minutes is escalated.",
            "CLINICAL.md section 7",
        ),
        Definition(
            "Time to first clinician reply",
            "From a patient's message (the first after a clinician's answer, or the first of a conversation) to "
            "the next message of a clinician in the same conversation.",
        ),
        Definition(
            "Patient feedback",
            f"Given by patients from day {FEEDBACK_FROM_DAY} after the procedure, once per procedure: clarity of "
            "the information and advice, and how quickly the care team responded, each from 1 (poor) to 5 "
            "(excellent).",
        ),
        Definition(
            "Small numbers",
            f"Any count under {SMALL_COUNT} is shown as “fewer than {SMALL_COUNT}”, here, in the downloads and in "
            f"the API, and so is a rate, mean or time that would give such a count away: no patient can be "
            f"recognised.",
        ),
        Definition(
            "Period",
            "Procedures, alerts and messages from the first to the last day chosen, both included, in the "
            "clinic's time zone. Feedback and referrals belong to the procedure they follow.",
        ),
    ]


# --- The same definitions as query expressions ------------------------------------------------


def pdph_reported() -> Exists:
    """On a ``Procedure`` queryset: the patient reported a positional headache from the
    procedure to ``PDPH_ONSET`` after it (index ``entry_patient_recorded``)."""
    return Exists(
        SymptomEntry.objects.filter(
            patient_id=OuterRef("patient_id"),
            positional_headache=True,
            entered_in_error_at__isnull=True,
            recorded_at__gte=OuterRef("performed_at"),
            recorded_at__lte=OuterRef("performed_at") + PDPH_ONSET,
        )
    )


def blood_patch_referred() -> Exists:
    """On a ``Procedure`` queryset: the patient's case was forwarded to an
    anesthesiologist within ``BLOOD_PATCH_WINDOW`` of the procedure."""
    return Exists(
        ThreadForward.objects.filter(
            thread__patient_id=OuterRef("patient_id"),
            to__specialty=BLOOD_PATCH_SPECIALTY,
            created_at__gte=OuterRef("performed_at"),
            created_at__lte=OuterRef("performed_at") + BLOOD_PATCH_WINDOW,
        )
    )


def acknowledged_at() -> Expression:
    """On an ``Alert`` queryset: when the alert was first acknowledged, or its inbox
    item first set to done, whichever came first (null when neither happened).

    The one place that knows what counts as an acknowledgement: when the alert and
    inbox statuses change, this function changes with them. The item is found by its
    source, as alerts post it (unique index ``inbox_one_item_per_source``)."""
    item_done_at = Subquery(
        InboxItem.objects.filter(
            kind=InboxKind.ALERT,
            source_type=Alert._meta.label_lower,
            source_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .order_by()
        .values("done_at")[:1]
    )
    return EarliestOf(F("acknowledged_at"), item_done_at, output_field=DateTimeField())


def from_clinician() -> Q:
    """On a ``Message`` queryset: written by a clinician (everything else is the patient's side)."""
    return Q(author__role=Role.CLINICIAN)


def _before() -> Q:
    """Messages before the outer one (by time, then id: two at the same moment keep their order)."""
    return Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))


def _after() -> Q:
    return Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))


def previous_author_role() -> Coalesce:
    """On a ``Message`` queryset: the role of the author of the message before it in
    its thread; a thread's first message counts as following a clinician's (it opens a
    wait when a patient writes it). Index ``message_thread_time``."""
    previous = Subquery(
        Message.objects.filter(_before(), thread_id=OuterRef("thread_id"))
        .order_by("-created_at", "-pk")
        .values("author__role")[:1]
    )
    return Coalesce(previous, Value(Role.CLINICIAN))


def first_clinician_reply_at() -> Subquery:
    """On a ``Message`` queryset: when a clinician first wrote in the thread after it."""
    return Subquery(
        Message.objects.filter(_after(), from_clinician(), thread_id=OuterRef("thread_id"))
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )


def starts_a_wait() -> Q:
    """Of a ``Message`` queryset with ``previous_role`` (``previous_author_role``): a
    patient-side message that opens a wait (the first of its thread, or the first after
    a clinician's)."""
    return ~from_clinician() & Q(previous_role=Role.CLINICIAN)
