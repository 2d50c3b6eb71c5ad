"""Raising an alert: the rules that fired on one entry (or one dose) become ONE alert,
its inbox item and its notifications (CLINICAL.md section 2).

Whoever finds a rule firing (the entry's own evaluation, the scan, the nightly rescan)
hands it here as a ``Finding`` with its episode key. A finding already recorded (its
``AlertFiring`` key exists) changes nothing. A new one joins the entry's open alert,
or starts it: the alert's severity is the highest of its firings, ``rule`` the most
serious one, and the care team gets one email, plus one more only when a later
finding makes the alert urgent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse

from alerts import engine
from alerts.inbox import hold_alert_patient, post_new_episodes, post_to_inbox
from alerts.models import SEVERITY_RANK, Alert, AlertFiring, AlertRule, AlertStatus, Severity
from messaging.services import hold_patient_queue, patients_with_open_episode
from patients.caregivers import CAREGIVER_LINK, urgent_email_caregivers
from patients.models import Patient, SymptomEntry
from patients.routing import Audience, Responsible, responsible_for
from portal.accounts.models import User
from portal.outbox.services import ToNotify, queue_notification, queue_notification_to_address, queue_notifications


@dataclass(frozen=True)
class Finding:
    """One rule that fired for one episode, with the words it gives."""

    rule: AlertRule
    severity: str
    dedup_key: str  # the firing's: per patient, rule and episode
    patient_message: str
    clinician_message: str

    @classmethod
    def of(cls, fired: engine.Fired, rule: AlertRule, dedup_key: str, reading: engine.Reading | None) -> Finding:
        return cls(
            rule=rule,
            severity=fired.severity,
            dedup_key=dedup_key,
            patient_message=fired.patient_message(reading),
            clinician_message=fired.clinician_message(reading),
        )

    @property
    def rank(self) -> int:
        """Most serious first; within a severity the caller's order stands (a stable sort)."""
        return -SEVERITY_RANK[self.severity]


def entry_alert_key(*, patient_id: int, entry_id: int) -> str:
    return f"p{patient_id}:e{entry_id}"


def alert_link(alert: Alert) -> str:
    return reverse("alerts:detail", args=[alert.pk])


def new_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings not yet recorded (one query), each once, the most serious first."""
    known = set(
        AlertFiring.objects.filter(dedup_key__in=[f.dedup_key for f in findings]).values_list("dedup_key", flat=True)
    )
    unique = {f.dedup_key: f for f in sorted(findings, key=lambda f: f.rank) if f.dedup_key not in known}
    return list(unique.values())


@transaction.atomic(savepoint=False)  # the caller's transaction when there is one; a whole one otherwise
def raise_findings(
    *,
    patient: Patient,
    entry: SymptomEntry | None,
    alert_key: str,
    findings: Sequence[Finding],
    responsible: Responsible | None = None,
    checked: bool = False,
    notify: bool = True,
) -> tuple[Alert | None, int]:
    """Record the findings on one alert; returns (the alert, how many were new). With
    none new (the same entry evaluated again), the alert they are on.

    1. Keep the findings not recorded yet (``checked``: the caller already did).
    2. The alert of ``alert_key``, or a new one; a resolved one is never reopened: a
       finding after its resolution starts a follow-up alert (``<key>:after<id>``).
    3. Each finding becomes an ``AlertFiring`` (unique key: a concurrent writer of the
       same firing wins quietly, inside a savepoint).
    4. Severity, wording and the inbox item follow the most serious firing; whoever is
       responsible for the patient (``patients.routing``: the care team, else the triage
       pool and on-call address, the alert's ``audience``) and the patient are emailed
       when the alert is new, and again only when a later finding made it urgent.
    """
    fresh = sorted(findings, key=lambda f: f.rank) if checked else new_findings(findings)
    if not fresh:
        known = [f.dedup_key for f in findings]
        return Alert.objects.filter(firings__dedup_key__in=known).order_by("-id").first(), 0
    responsible = responsible or responsible_for(patient)
    # The patient's queue before the alert row: a clinician closing the episode's item
    # meanwhile finishes first, and this alert then opens the next item (alerts.inbox).
    hold_alert_patient(patient.pk)
    alert, created = _alert_for(
        patient=patient, entry=entry, key=alert_key, first=fresh[0], audience=responsible.audience
    )
    recorded, firings = [], []
    for finding in fresh:
        try:
            with transaction.atomic():
                firing = AlertFiring.objects.create(
                    alert=alert, rule=finding.rule, severity=finding.severity, dedup_key=finding.dedup_key
                )
        except IntegrityError:
            continue  # another writer recorded it first
        recorded.append(finding)
        firings.append(firing)
    if not recorded:
        return alert, 0
    was = alert.severity
    joining = recorded[1:] if created else recorded  # a new alert was made from the first
    if joining:
        _join(alert, joining)
    post_to_inbox(alert, firings=firings if created else None)
    if created and notify:
        notify_alert(alert, responsible=responsible)
    elif not created and alert.severity == Severity.URGENT and was != Severity.URGENT:
        notify_alert(alert, responsible=responsible, dedup_suffix=":urgent")
    return alert, len(recorded)


@dataclass(frozen=True)
class EntryFindings:
    """One entry's new findings, for ``raise_many``."""

    patient: Patient
    entry: SymptomEntry | None
    alert_key: str
    findings: Sequence[Finding]
    responsible: Responsible


@transaction.atomic(savepoint=False)  # the caller's transaction when there is one; a whole one otherwise
def raise_many(batch: Sequence[EntryFindings]) -> int:
    """``raise_findings`` for many entries at once (the scan); returns how many findings
    were new. The same rows as one call per entry, in a few statements for the common case.

    1. Hold every patient's queue (ids in order, as every writer of alerts does): until
       this transaction ends, nobody else adds an alert, a firing or an episode item
       for them.
    2. Read, after the locks, the alerts already under these keys, the firings already
       recorded and which patients have an open alert item.
    3. An entry with no alert yet, none of its firings recorded, of a patient with no
       open episode and no other entry in the batch starts a new alert and episode:
       those alerts, their firings, their items and notifications are inserted together
       (inside one savepoint: should a unique key refuse a row after all, they go the
       one-at-a-time way instead).
    4. Every other entry: ``raise_findings`` (joining an alert or an episode).
    """
    batch = [b for b in batch if b.findings]
    if not batch:
        return 0
    patient_ids = {b.patient.pk for b in batch}
    hold_patient_queue(patient_ids)
    keys = {b.alert_key for b in batch}
    taken = set(Alert.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    recorded = set(
        AlertFiring.objects.filter(dedup_key__in=[f.dedup_key for b in batch for f in b.findings]).values_list(
            "dedup_key", flat=True
        )
    )
    busy = patients_with_open_episode(kind="alert", patient_ids=patient_ids)
    per_patient: dict[int, int] = {}
    for b in batch:
        per_patient[b.patient.pk] = per_patient.get(b.patient.pk, 0) + 1
    simple, rest = [], []
    for b in batch:
        fresh = b.alert_key not in taken and not any(f.dedup_key in recorded for f in b.findings)
        alone = b.patient.pk not in busy and per_patient[b.patient.pk] == 1
        distinct = len({f.dedup_key for f in b.findings}) == len(b.findings)
        (simple if fresh and alone and distinct else rest).append(b)
    created = 0
    if simple:
        try:
            with transaction.atomic():
                created += _insert_new_alerts(simple)
        except IntegrityError:
            rest = simple + rest  # a concurrent writer after all: one at a time
    for b in rest:
        _, count = raise_findings(
            patient=b.patient, entry=b.entry, alert_key=b.alert_key, findings=b.findings, responsible=b.responsible
        )
        created += count
    return created


def _insert_new_alerts(batch: Sequence[EntryFindings]) -> int:
    """Step 3 of ``raise_many``: what ``raise_findings`` writes for a new alert that
    starts a new episode, for every entry of ``batch`` at once."""
    alerts = []
    for b in batch:
        findings = sorted(b.findings, key=lambda f: f.rank)
        first = findings[0]
        alert = Alert(
            patient=b.patient,
            rule=first.rule,
            severity=first.severity,
            entry=b.entry,
            message=first.patient_message,
            clinician_message=first.clinician_message,
            dedup_key=b.alert_key,
            audience=b.responsible.audience,
        )
        if len(findings) > 1:
            _joined(alert, findings[1:])
        alerts.append((alert, findings, b.responsible))
    Alert.objects.bulk_create([alert for alert, _, _ in alerts])
    firings = {
        alert.pk: [AlertFiring(alert=alert, rule=f.rule, severity=f.severity, dedup_key=f.dedup_key) for f in findings]
        for alert, findings, _ in alerts
    }
    AlertFiring.objects.bulk_create([firing for group in firings.values() for firing in group])
    post_new_episodes([(alert, firings[alert.pk]) for alert, _, _ in alerts])
    notify_alerts([(alert, responsible) for alert, _, responsible in alerts])
    return sum(len(group) for group in firings.values())


def _alert_for(
    *, patient: Patient, entry: SymptomEntry | None, key: str, first: Finding, audience: str
) -> tuple[Alert, bool]:
    """The open (or acknowledged) alert of ``key``, locked, or a new one from ``first``."""
    while True:
        alert = Alert.objects.select_for_update().filter(dedup_key=key).first()
        if alert is not None and alert.status != AlertStatus.RESOLVED:
            return alert, False
        if alert is not None:
            key = f"{key}:after{alert.pk}"
            continue
        try:
            with transaction.atomic():
                created = Alert.objects.create(
                    patient=patient,
                    rule=first.rule,
                    severity=first.severity,
                    entry=entry,
                    message=first.patient_message,
                    clinician_message=first.clinician_message,
                    dedup_key=key,
                    audience=audience,
                )
            return created, True
        except IntegrityError:
            continue  # a concurrent writer created it: use theirs


def _join(alert: Alert, findings: list[Finding]) -> None:
    """Later findings join the alert: the most serious one leads (the patient's words,
    the rule, the severity); every clinician line is kept, the most serious first.
    An acknowledged alert that becomes more serious is open again (to be seen anew)."""
    alert.save(update_fields=_joined(alert, findings))


def _joined(alert: Alert, findings: list[Finding]) -> list[str]:
    """``_join`` on the object only; returns the fields it changed."""
    lead = findings[0]
    lines = " ".join(f.clinician_message for f in findings if f.clinician_message)
    fields = ["clinician_message"]
    if SEVERITY_RANK[lead.severity] > SEVERITY_RANK[alert.severity]:
        alert.clinician_message = f"{lines} {alert.clinician_message}".strip()
        alert.severity, alert.rule, alert.message = lead.severity, lead.rule, lead.patient_message
        fields += ["severity", "rule", "message"]
        if alert.status == AlertStatus.ACKNOWLEDGED:
            alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.OPEN, None, None
            fields += ["status", "acknowledged_at", "acknowledged_by"]
    else:
        alert.clinician_message = f"{alert.clinician_message} {lines}".strip()
    return fields


def notify_alert(alert: Alert, *, responsible: Responsible | None = None, dedup_suffix: str = "") -> None:
    """Email whoever is responsible and the patient: fixed text, a link, no health data.

    1. A care team: each of its clinicians.
    2. No care team (CLINICAL.md section 7): the on-call address; without one, each
       clinician of the triage pool (they have it in their inbox either way).
    3. Nobody at all (no care team, an empty pool, no on-call address): every admin is
       told to fix the clinic's settings (no health data), and the patient's page says
       to call the clinic.
    4. The patient.
    ``dedup_suffix``: a second round for the same alert (it became urgent).
    """
    notify_alerts([(alert, responsible or responsible_for(alert.patient))], dedup_suffix=dedup_suffix)


def notify_alerts(alerts: Sequence[tuple[Alert, Responsible]], *, dedup_suffix: str = "") -> None:
    """``notify_alert`` for many alerts: the people's emails in one INSERT."""
    emails = []
    caregivers = urgent_email_caregivers(
        sorted({alert.patient_id for alert, _ in alerts if alert.severity == Severity.URGENT})
    )
    for alert, responsible in alerts:
        urgent = alert.severity == Severity.URGENT
        kind = "alert_urgent" if urgent else "alert"
        key, link = f"alert:{alert.pk}{dedup_suffix}", alert_link(alert)
        clinicians = list(responsible.clinicians)
        if responsible.audience == Audience.TRIAGE_POOL and responsible.oncall_email:
            queue_notification_to_address(
                address=responsible.oncall_email,
                address_name="oncall",
                kind="oncall_alert_urgent" if urgent else "oncall_alert",
                dedup_key=key,
                link=link,
                source=alert,
            )
            clinicians = []  # the pool reads it in its inbox; the on-call address carries the email
        if not responsible.reachable:
            tell_admins_nobody_was_reached(alert)
        emails += [
            ToNotify(recipient=person, kind=kind, dedup_key=key, link=link, source=alert)
            for person in [*clinicians, alert.patient.user]
        ]
        if urgent:
            # Caregivers who chose these emails (an active grant only: a revoked one gets
            # none), once per alert; the link opens their list of the people they help.
            emails += [
                ToNotify(
                    recipient=caregiver,
                    kind="caregiver_alert_urgent",
                    dedup_key=f"alert:{alert.pk}:caregiver",
                    link=CAREGIVER_LINK,
                    source=alert,
                )
                for caregiver in caregivers.get(alert.patient_id, [])
            ]
    queue_notifications(emails)


def tell_admins_nobody_was_reached(alert: Alert) -> None:
    for admin in User.objects.filter(is_staff=True, is_active=True).order_by("pk"):
        queue_notification(
            recipient=admin, kind="routing_gap", dedup_key=f"alert:{alert.pk}:routing_gap", link="/admin/", source=alert
        )


def fired_rules(alert: Alert) -> list[AlertRule]:
    """Every rule that fired on the alert, the most serious first (each once)."""
    ordered = sorted(alert.firings.all(), key=lambda f: (-SEVERITY_RANK[f.severity], f.rule.order, f.rule.code))
    rules: dict[str, AlertRule] = {}
    for firing in ordered:
        rules.setdefault(firing.rule.code, firing.rule)
    return list(rules.values()) or [alert.rule]


def firing_codes(alert: Alert) -> list[str]:
    """API.md ``rules``: the codes of ``fired_rules``."""
    return [rule.code for rule in fired_rules(alert)]
