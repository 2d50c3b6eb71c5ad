"""Demo data for the quality page: a past year of the clinic, so the figures show.

A cohort of 200 demo patients (they cannot sign in) looked after by two supporting
clinicians (who cannot sign in either), with procedures spread over the year before
last week: needles of both types and several gauges (two gauges used 3 and 2 times, so
the page shows hidden rows), diary entries with positional headaches at realistic
rates, urgent alerts acknowledged after a few minutes to an hour (a few escalated),
messages answered after hours, cases forwarded to the anesthesiologist for a blood
patch, and feedback with scores and comments.

The rows are written as they were on their day, with their dates (the services
stamp "now"); message bodies, subjects, forwarding notes and comments are sealed to
their rows as the services seal them. Idempotent: nothing is added once the cohort's
clinician exists. The quality lead is a demo account (``portal/demo.py``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertFiring, AlertRule, AlertStatus, Severity
from alerts.raising import entry_alert_key
from messaging.models import InboxItem, InboxKind, InboxPriority, InboxStatus, Message, Thread, ThreadForward
from patients.models import CareTeamGrant, Patient, Procedure, SymptomEntry
from portal.accounts.models import Role, Specialty, User
from portal.crypto import seal_text
from quality.models import Feedback

COHORT_CLINICIAN = "cohort.neurologist@aftercare.example"
COHORT_ANESTHESIOLOGIST = "cohort.anesthesiologist@aftercare.example"
COHORT_SIZE = 200
# (needle type, gauge, procedures, chance of PDPH): atraumatic needles at about 40 %
# of the cutting-needle rate, as in the literature; 27 G and 29 G used 3 and 2 times
# (two hidden rows, which together are 5: nothing else needs hiding).
NEEDLES = [
    ("atraumatic", 22, 70, 0.10),
    ("atraumatic", 25, 48, 0.14),
    ("atraumatic", 27, 3, 0.0),
    ("atraumatic", 29, 2, 0.0),
    ("cutting", 22, 50, 0.26),
    ("cutting", 20, 27, 0.30),
]
COMMENTS = [
    "The diary was easy to use every day.",
    "I was not sure what counted as a positional headache at first.",
    "Someone called me back within the hour. Thank you.",
    "The advice about lying flat helped.",
    "It took a day to get an answer to my message.",
    "Clear instructions on when to call.",
    "More explanation of the lab results would help.",
    "I liked seeing my trend going down.",
]
SEED = 20261205


@transaction.atomic
def seed(accounts: dict) -> None:
    if User.objects.filter(email=COHORT_CLINICIAN).exists():
        return
    rng = random.Random(SEED)  # noqa: S311 (demo data, reproducible on purpose)
    now = timezone.now()
    unusable = make_password(None)
    neurologist = User.objects.create(
        email=COHORT_CLINICIAN,
        first_name="Morgan",
        last_name="Lee",
        role=Role.CLINICIAN,
        specialty=Specialty.NEUROLOGY,
        password=unusable,
    )
    anesthesiologist = User.objects.create(
        email=COHORT_ANESTHESIOLOGIST,
        first_name="Jordan",
        last_name="Reyes",
        role=Role.CLINICIAN,
        specialty=Specialty.ANESTHESIOLOGY,
        password=unusable,
    )
    # Each gauge's PDPH count is its rate of its procedures, in a shuffled order.
    needles = [(kind, gauge, n < round(count * rate)) for kind, gauge, count, rate in NEEDLES for n in range(count)]
    rng.shuffle(needles)
    urgent_rule = AlertRule.objects.filter(code="confusion").first()
    for n, (kind, gauge, pdph) in enumerate(needles[:COHORT_SIZE]):
        performed_at = now - timedelta(days=6 + 354 * n / COHORT_SIZE, hours=rng.randrange(8, 17) - 12)
        patient = _patient(n, unusable, performed_at)
        CareTeamGrant.objects.create(patient=patient, clinician=neurologist, granted_at=performed_at)
        procedure = Procedure.objects.create(
            patient=patient,
            performed_at=performed_at,
            needle_type=kind,
            needle_gauge=gauge,
            performed_by=neurologist,
            created_at=performed_at,
        )
        _diary(patient, performed_at, pdph=pdph, rng=rng)
        thread = None
        if pdph or rng.random() < 0.3:
            thread = _conversation(patient, neurologist, performed_at, rng=rng)
        if pdph and thread is not None and rng.random() < 0.35:
            CareTeamGrant.objects.create(patient=patient, clinician=anesthesiologist, granted_at=performed_at)
            referred_at = min(performed_at + timedelta(days=rng.uniform(2, 6)), now - timedelta(hours=1))
            _forward(thread, neurologist, anesthesiologist, referred_at)
        if urgent_rule is not None and n % 6 == 0:
            raised_at = performed_at + timedelta(hours=rng.uniform(6, 60))
            _urgent_alert(patient, urgent_rule, raised_at, neurologist, late=n % 5 == 0, rng=rng)
        if rng.random() < 0.6:
            given_at = min(performed_at + timedelta(days=rng.uniform(3, 7)), now - timedelta(hours=1))
            _feedback(patient, procedure, given_at, rng=rng)


def _patient(n: int, password: str, performed_at: datetime) -> Patient:
    user = User.objects.create(
        email=f"cohort.patient.{n:03d}@aftercare.example",
        first_name="Demo",
        last_name=f"Patient {n:03d}",
        role=Role.PATIENT,
        password=password,
        date_joined=performed_at,
    )
    return Patient.objects.create(
        user=user, date_of_birth=f"{1950 + n % 50}-0{1 + n % 9}-1{n % 10}", sex="female" if n % 2 else "male"
    )


def _diary(patient: Patient, performed_at: datetime, *, pdph: bool, rng: random.Random) -> None:
    """Three entries in the first days; a positional headache on day 1-2 for the PDPH ones."""
    rows = []
    for day in (0.3, 1.5, 3.5):
        positional = pdph and 1 <= day <= 3
        at = performed_at + timedelta(days=day)
        rows.append(
            SymptomEntry(
                patient=patient,
                recorded_at=at,
                created_at=at,
                back_pain=rng.randrange(0, 4),
                headache=rng.randrange(4, 8) if positional else rng.randrange(0, 3),
                positional_headache=positional,
                seizure=False,
                rash=False,
                entered_by=patient.user,
            )
        )
    SymptomEntry.objects.bulk_create(rows)


def _sealed_message(thread: Thread, author: User, body: str, at: datetime) -> Message:
    message = Message.objects.create(thread=thread, author=author, body_sealed=b"", created_at=at)
    message.body_sealed = seal_text(body, context=message.seal_context)
    message.save(update_fields=["body_sealed"])
    return message


def _conversation(patient: Patient, clinician: User, performed_at: datetime, *, rng: random.Random) -> Thread:
    """The patient writes on day 1-2; a clinician answers hours later (a few not yet)."""
    asked_at = performed_at + timedelta(days=rng.uniform(1, 2))
    thread = Thread.objects.create(
        patient=patient, subject_sealed=b"", created_by=patient.user, created_at=asked_at, last_message_at=asked_at
    )
    thread.subject_sealed = seal_text("Headache question", context=thread.seal_context)
    thread.save(update_fields=["subject_sealed"])
    _sealed_message(thread, patient.user, "My headache is worse when I sit up. Is that expected?", asked_at)
    last = asked_at
    status = InboxStatus.NEW
    if rng.random() < 0.92:
        last = asked_at + timedelta(hours=rng.lognormvariate(1.6, 0.8))
        _sealed_message(thread, clinician, "Thank you. Rest lying flat and keep logging it in your diary.", last)
        status = InboxStatus.WAITING
    Thread.objects.filter(pk=thread.pk).update(last_message_at=last)
    InboxItem.objects.create(
        kind=InboxKind.MESSAGE,
        patient=patient,
        priority=InboxPriority.NORMAL,
        priority_rank=2,
        status=status,
        assignee=clinician if status != InboxStatus.NEW else None,
        due_at=asked_at + timedelta(days=1),
        summary="New message from patient",
        link=f"/messages/{thread.pk}/",
        source_type=Thread._meta.label_lower,
        source_id=str(thread.pk),
        created_at=asked_at,
    )
    return thread


def _forward(thread: Thread, by: User, to: User, at: datetime) -> None:
    forward = ThreadForward.objects.create(thread=thread, forwarded_by=by, to=to, note_sealed=b"", created_at=at)
    forward.note_sealed = seal_text("Please consider a blood patch.", context=forward.seal_context)
    forward.save(update_fields=["note_sealed"])
    InboxItem.objects.create(
        kind=InboxKind.REFERRAL,
        patient=thread.patient,
        priority=InboxPriority.NORMAL,
        priority_rank=2,
        status=InboxStatus.DONE,
        assignee=to,
        addressed_to=to,
        due_at=at + timedelta(days=1),
        done_at=at + timedelta(hours=6),
        summary=f"Case forwarded by {by.display_name} with a note",
        link=f"/messages/{thread.pk}/",
        source_type=ThreadForward._meta.label_lower,
        source_id=str(forward.pk),
        created_at=at,
    )


def _urgent_alert(
    patient: Patient, rule: AlertRule, at: datetime, clinician: User, *, late: bool, rng: random.Random
) -> None:
    """An urgent alert (confusion: an instant rule, no pattern rule of the scan reads it
    again), acknowledged after minutes; a late one after 15 (escalated)."""
    entry = SymptomEntry.objects.create(
        patient=patient,
        recorded_at=at,
        created_at=at,
        back_pain=3,
        headache=2,
        confusion=True,
        seizure=False,
        rash=False,
        entered_by=patient.user,
    )
    waited = timedelta(minutes=rng.uniform(16, 70) if late else rng.uniform(2, 14))
    acknowledged_at = at + waited
    alert = Alert.objects.create(
        patient=patient,
        rule=rule,
        severity=Severity.URGENT,
        status=AlertStatus.RESOLVED,
        entry=entry,
        message=rule.patient_message,
        clinician_message=rule.clinician_message,
        dedup_key=entry_alert_key(patient_id=patient.pk, entry_id=entry.pk),
        created_at=at,
        acknowledged_at=acknowledged_at,
        acknowledged_by=clinician,
        resolved_at=acknowledged_at + timedelta(hours=2),
        resolved_by=clinician,
        escalated_at=at + timedelta(minutes=15) if waited > timedelta(minutes=15) else None,
    )
    # One alert per entry, listing the rule that fired (alerts.raising).
    AlertFiring.objects.create(
        alert=alert,
        rule=rule,
        severity=Severity.URGENT,
        dedup_key=f"p{patient.pk}:{rule.code}:e{entry.pk}",
        fired_at=at,
    )
    InboxItem.objects.create(
        kind=InboxKind.ALERT,
        patient=patient,
        priority=InboxPriority.URGENT,
        priority_rank=0,
        status=InboxStatus.DONE,
        due_at=at + timedelta(minutes=15),
        done_at=alert.resolved_at,
        summary=f"Urgent: {rule.summary}",
        link=f"/alerts/{alert.pk}/",
        source_type=Alert._meta.label_lower,
        source_id=str(alert.pk),
        created_at=at,
    )


def _feedback(patient: Patient, procedure: Procedure, at: datetime, *, rng: random.Random) -> None:
    feedback = Feedback.objects.create(
        patient=patient,
        procedure=procedure,
        clarity=rng.choice([3, 4, 4, 5, 5, 5]),
        responsiveness=rng.choice([2, 3, 4, 4, 5, 5]),
        created_at=at,
    )
    if rng.random() < 0.3:
        feedback.comment_sealed = seal_text(rng.choice(COMMENTS), context=feedback.comment_seal_context)
        feedback.save(update_fields=["comment_sealed"])
