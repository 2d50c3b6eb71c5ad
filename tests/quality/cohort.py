"""Generated clinic data with known rates, for the quality figures' tests.

``build_cohort`` writes rows as they would have been written on their day (bulk, with
their dates), including the near misses each definition must leave out: a positional
headache 6 days after the procedure or marked entered in error, a case forwarded to a
neurologist or to an anesthesiologist after 20 days, a second patient message before
any answer, a thread a clinician started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from alerts.models import Alert, AlertRule, Severity
from messaging.models import InboxItem, Message, Thread, ThreadForward
from patients.models import Patient, Procedure, SymptomEntry
from portal.accounts.models import Role, User
from quality.models import Feedback


@dataclass
class Group:
    needle_type: str
    needle_gauge: int
    procedures: int
    pdph: int = 0
    referred: int = 0


@dataclass
class Cohort:
    start: datetime  # the first procedure of the period
    procedures: list[Procedure] = field(default_factory=list)
    neurologist: User | None = None
    anesthesiologist: User | None = None


_counter = [0]


def _users(count: int, role: str, **extra) -> list[User]:
    first = _counter[0]
    _counter[0] += count
    return User.objects.bulk_create(
        [User(email=f"cohort{first + n}.{role}@example.test", role=role, password="!", **extra) for n in range(count)]
    )


def clinicians() -> tuple[User, User]:
    (neurologist,) = _users(1, Role.CLINICIAN, specialty="neurology")
    (anesthesiologist,) = _users(1, Role.CLINICIAN, specialty="anesthesiology")
    return neurologist, anesthesiologist


def build_cohort(groups: list[Group], *, start: datetime | None = None) -> Cohort:
    """One patient and procedure per row of each group, a day apart from ``start``;
    the first ``pdph`` of a group had a positional headache on day 2, the first
    ``referred`` were forwarded to an anesthesiologist on day 3."""
    start = start or timezone.now() - timedelta(days=200)
    cohort = Cohort(start=start)
    cohort.neurologist, cohort.anesthesiologist = clinicians()
    total = sum(g.procedures for g in groups)
    users = _users(total, Role.PATIENT)
    patients = Patient.objects.bulk_create(Patient(user=u, date_of_birth="1980-01-01", sex="female") for u in users)
    entries, index = [], 0
    plan = []
    for group in groups:
        for n in range(group.procedures):
            plan.append((group, n, patients[index], start + timedelta(days=index % 150, hours=index % 7)))
            index += 1
    cohort.procedures = Procedure.objects.bulk_create(
        Procedure(patient=p, performed_at=at, needle_type=g.needle_type, needle_gauge=g.needle_gauge)
        for g, _, p, at in plan
    )
    for group, n, patient, at in plan:
        entries.append(_entry(patient, at + timedelta(hours=8), positional=False))
        if n < group.pdph:
            entries.append(_entry(patient, at + timedelta(days=2), positional=True))
        elif n % 3 == 0:
            # Near misses: after the 5 days, or entered in error.
            entries.append(_entry(patient, at + timedelta(days=6), positional=True))
            entries.append(_entry(patient, at + timedelta(days=1), positional=True, in_error=True))
        if n < group.referred:
            forward(patient, cohort.neurologist, cohort.anesthesiologist, at + timedelta(days=3))
        elif n % 4 == 1:
            forward(patient, cohort.anesthesiologist, cohort.neurologist, at + timedelta(days=3))  # not a blood patch
            forward(patient, cohort.neurologist, cohort.anesthesiologist, at + timedelta(days=20))  # too late
    SymptomEntry.objects.bulk_create(entries)
    return cohort


def _entry(patient, at, *, positional: bool, in_error: bool = False) -> SymptomEntry:
    return SymptomEntry(
        patient=patient,
        recorded_at=at,
        created_at=at,
        back_pain=1,
        headache=5 if positional else 1,
        positional_headache=positional,
        entered_in_error_at=at if in_error else None,
    )


def thread_of(patient: Patient, author: User, at: datetime) -> Thread:
    return Thread.objects.create(patient=patient, subject_sealed=b"", created_by=author, created_at=at)


def forward(patient: Patient, by: User, to: User, at: datetime) -> ThreadForward:
    thread = thread_of(patient, patient.user, at - timedelta(hours=1))
    return ThreadForward.objects.create(thread=thread, forwarded_by=by, to=to, note_sealed=b"", created_at=at)


def message(thread: Thread, author: User, at: datetime) -> Message:
    return Message.objects.create(thread=thread, author=author, body_sealed=b"", created_at=at)


def urgent_alert(
    patient: Patient,
    at: datetime,
    *,
    acknowledged_after: timedelta | None = None,
    done_after: timedelta | None = None,
    escalated: bool = False,
    severity: str = Severity.URGENT,
) -> Alert:
    """An alert acknowledged (``Alert.acknowledged_at``) and/or its inbox item set to
    done (``InboxItem.done_at``) after the given times."""
    rule = AlertRule.objects.filter(severity=Severity.URGENT).order_by("pk").first()
    _counter[0] += 1
    alert = Alert.objects.create(
        patient=patient,
        rule=rule,
        severity=severity,
        message="",
        dedup_key=f"test-alert-{_counter[0]}",
        created_at=at,
        acknowledged_at=at + acknowledged_after if acknowledged_after is not None else None,
        escalated_at=at + timedelta(minutes=15) if escalated else None,
    )
    InboxItem.objects.create(
        kind="alert",
        patient=patient,
        priority="urgent",
        priority_rank=0,
        status="done" if done_after is not None else "new",
        due_at=at,
        done_at=at + done_after if done_after is not None else None,
        summary="Urgent",
        source_type="alerts.alert",
        source_id=str(alert.pk),
        created_at=at,
    )
    return alert


def feedback(procedure: Procedure, clarity: int, responsiveness: int, at: datetime | None = None) -> Feedback:
    return Feedback.objects.create(
        patient=procedure.patient,
        procedure=procedure,
        clarity=clarity,
        responsiveness=responsiveness,
        created_at=at or procedure.performed_at + timedelta(days=4),
    )
