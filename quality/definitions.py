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
  a clinician's (or the first of the thread) to the next message of a clinician
  (``REPLY_WAITS_SQL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import CharField, DateTimeField, Exists, F, OuterRef, Subquery
from django.db.models.expressions import Expression
from django.db.models.functions import Cast

from alerts.models import Alert
from messaging.models import InboxItem, InboxKind, ThreadForward
from patients.models import SymptomEntry
from portal.accounts.models import Specialty
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
            f"A count under {SMALL_COUNT} is never shown, here, in the downloads or in the API, nor any count, "
            "rate, mean or time from which one could be worked out (a month's total minus the gauges shown, "
            "for example): such cells say “not shown”. No patient can be recognised.",
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


# The waits of patients' messages, in one pass over the period's threads (window
# functions: each message sees the one before it and the clinician messages after it,
# whatever their dates). ``{seconds}`` is the dialect's seconds between two times.
# Threads are those with a message in the period; the waits are the period's. Whether
# an author is a clinician is a look-up in the clinic's few clinicians (a hashed set),
# not a join of every message to every account.
REPLY_WAITS_SQL = """
WITH thread_messages AS (
    SELECT m.created_at,
           m.from_clinician,
           LAG(m.from_clinician) OVER thread_order AS after_clinician,
           MIN(CASE WHEN m.from_clinician THEN m.created_at END)
               OVER (thread_order ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS reply_at
    FROM (
        SELECT thread_id, id, created_at,
               author_id IN (SELECT id FROM accounts_user WHERE role = %(clinician)s) AS from_clinician
        FROM messaging_message
        WHERE thread_id IN (
            SELECT DISTINCT thread_id FROM messaging_message WHERE created_at >= %(start)s AND created_at < %(end)s
        )
    ) m
    WINDOW thread_order AS (PARTITION BY m.thread_id ORDER BY m.created_at, m.id)
)
SELECT created_at, reply_at, {seconds} AS seconds
FROM thread_messages
WHERE NOT from_clinician
  AND COALESCE(after_clinician, TRUE)
  AND created_at >= %(start)s AND created_at < %(end)s
"""


def reply_waits_sql(vendor: str) -> str:
    """``REPLY_WAITS_SQL`` for PostgreSQL or SQLite: one row per wait with its seconds
    to the first clinician reply (null while unanswered). A patient-side message opens
    a wait when it is the first of its thread or follows a clinician's."""
    seconds = {
        "postgresql": "CAST(EXTRACT(EPOCH FROM (reply_at - created_at)) AS double precision)",
        "sqlite": "((julianday(reply_at) - julianday(created_at)) * 86400.0)",
    }[vendor]
    return REPLY_WAITS_SQL.format(seconds=seconds)
