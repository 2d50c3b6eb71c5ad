"""Alert writes: evaluate an entry, raise alerts, the lifecycle, custom thresholds.

``evaluate_entry`` runs inside the symptom endpoint's transaction: the entry, its
alerts, their inbox items and their notifications commit together, so nothing
depends on a worker being up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, Window
from django.utils import timezone

from alerts import engine
from alerts.inbox import ALERTING, hold_alert_patient, item_follows_alert
from alerts.models import SEVERITY_RANK, Alert, AlertRule, AlertStatus, PatientThreshold, RuleKind, Severity
from alerts.parameters import schema_of
from alerts.raising import (
    Finding,
    alert_link,
    entry_alert_key,
    post_to_inbox,
    raise_findings,
    tell_admins_nobody_was_reached,
)
from alerts.rules import rule_book_for_patient
from patients.medication_alerts import DoseAlerts, DoseFindings
from patients.models import Patient, SymptomEntry
from patients.routing import Audience, responsible_for, triage_pool
from patients.selectors import is_on_care_team, latest_procedure, latest_procedure_at
from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.clinic.selectors import current_clinic
from portal.outbox.services import queue_notification, queue_notification_to_address
from portal.validation import NOT_SENT, REQUIRED

MAX_NOTE = 2000


@dataclass
class EntryEvaluation:
    """What a new diary entry triggered: shown to the patient at once."""

    recommendations: list[dict[str, str]] = field(
        default_factory=list
    )  # [{"rule", "severity", "message"}], highest first
    alert_ids: list[int] = field(default_factory=list)
    # The patient's fever threshold (°C), custom or default, as the rules just read it:
    # the answer shows the temperature without reading the rules again (None: not read).
    fever_limits: list[Decimal] | None = None


def patient_facts(patient: Patient, procedure_at: datetime | None) -> engine.PatientFacts:
    return engine.PatientFacts(blood_thinner=patient.takes_blood_thinner, procedure_at=procedure_at)


def instant_dedup_key(*, patient_id: int, code: str, entry_id: int) -> str:
    return f"p{patient_id}:{code}:e{entry_id}"


def score_history(entry: SymptomEntry, rules: dict[str, engine.Rule]) -> list[engine.Reading]:
    """``look_back``'s readings (the earlier scores ``score_rise`` compares with)."""
    return look_back(entry, rules, with_procedure=False)[0]


_NOT_READ = object()


def look_back(
    entry: SymptomEntry, rules: dict[str, engine.Rule], *, with_procedure: bool = True
) -> tuple[list[engine.Reading], Any]:
    """The patient's earlier entries, as far as the instant rules read them.

    Only ``score_rise`` looks back: at the lowest back pain and the lowest headache of
    the entries in its own ``window_hours`` (admin-editable), and at the entry just
    before this one. One query gives all three: the latest entry of the window with the
    window's lowest scores beside it (window functions over the range). It becomes two
    readings, the lowest dated at the window's first entry and the previous entry as
    it was: a patient who writes many entries a day costs no more than one who writes
    one, and nothing is read when the rule is off.

    ``with_procedure``: the same query also reads when the patient's latest procedure
    was (a scalar subquery, index ``procedure_patient_latest``): the second value, a
    datetime or None, or ``_NOT_READ`` when the look-back found no row to carry it.
    """
    rule = rules.get("score_rise")
    if rule is None or not rule.enabled:
        return [], _NOT_READ
    since = entry.recorded_at - timedelta(hours=float(rule["window_hours"]))
    window = SymptomEntry.objects.filter(
        patient_id=entry.patient_id,
        recorded_at__gte=since,
        recorded_at__lt=entry.recorded_at,
        entered_in_error_at__isnull=True,
    )
    fields = ["id", "recorded_at", "back_pain", "headache", "first", "lowest_back", "lowest_head"]
    if with_procedure:
        window = window.annotate(procedure_at=latest_procedure_at(entry.patient_id))
        fields.append("procedure_at")
    latest = (
        window.annotate(
            first=Window(Min("recorded_at")), lowest_back=Window(Min("back_pain")), lowest_head=Window(Min("headache"))
        )
        .order_by("-recorded_at", "-id")
        .values(*fields)
        .first()
    )
    if latest is None:
        return [], _NOT_READ
    return [
        engine.Reading(recorded_at=latest["first"], back_pain=latest["lowest_back"], headache=latest["lowest_head"]),
        engine.Reading(
            recorded_at=latest["recorded_at"],
            back_pain=latest["back_pain"],
            headache=latest["headache"],
            entry_id=latest["id"],
        ),
    ], latest.get("procedure_at", _NOT_READ)


def evaluate_entry(entry: SymptomEntry) -> EntryEvaluation:
    """Run the instant rules (CLINICAL.md section 2) on a saved entry.

    1. Load the rules with the patient's custom thresholds (one query).
    2. One indexed query for the earlier scores ``score_rise`` compares with.
    3. The pure engine decides; all fired rules become recommendations, highest first.
    4. When one of them is ``contact_provider`` or ``urgent``, the entry raises ONE
       alert listing every rule that fired (``alerts.raising``): one inbox item, one
       email to whoever is responsible for the patient (``patients.routing``: the care
       team, or the triage pool and on-call address) and one to the patient.
    Runs in the caller's transaction (no savepoint of its own: whatever fails here
    fails the entry too), so it all commits with the entry.
    """
    if entry.entered_in_error_at is not None:
        return EntryEvaluation()
    with transaction.atomic(savepoint=False):
        patient = entry.patient
        book = rule_book_for_patient(patient.pk, kinds=[RuleKind.INSTANT])
        rules = book.for_patient(patient.pk)
        # The latest procedure rides on the look-back's query when it has a row.
        history, procedure_at = look_back(entry, rules)
        if procedure_at is _NOT_READ:
            procedure = latest_procedure(patient)
            procedure_at = procedure.performed_at if procedure else None
        reading = engine.Reading.from_entry(entry)
        fired = engine.evaluate(reading, history, rules, patient_facts(patient, procedure_at))
        fever = rules.get("fever")
        evaluation = EntryEvaluation(
            recommendations=[
                {"rule": f.code, "severity": f.severity, "message": f.patient_message(reading)} for f in fired
            ],
            # What patients.clinical.temperature_limits reads (the same rule, all kinds).
            fever_limits=[Decimal(str(float(fever["temperature_c"])))]
            if fever and "temperature_c" in fever.thresholds
            else None,
        )
        if any(f.severity in ALERTING for f in fired):
            findings = [
                Finding.of(
                    f,
                    book.rows[f.code],
                    instant_dedup_key(patient_id=patient.pk, code=f.code, entry_id=entry.pk),
                    reading,
                )
                for f in fired
            ]
            alert, _ = raise_findings(
                patient=patient,
                entry=entry,
                alert_key=entry_alert_key(patient_id=patient.pk, entry_id=entry.pk),
                findings=findings,
            )
            evaluation.alert_ids = [alert.pk] if alert is not None else []
    return evaluation


# --- The medication log (CLINICAL.md section 5) -------------------------------------------
#
# The patients app decides what a dose means against its drug's limits and calls these
# through the handler registered in AlertsConfig.ready() (patients.medication_alerts).


def _dose_words(text: str, findings: DoseFindings) -> str:
    """A medication rule's words with the dose's numbers; ``{emergency_number}`` stays
    for whoever shows the text (``portal.clinic.texts.with_clinic``)."""
    values = {
        "{drug}": findings.drug,
        "{other_drug}": findings.other_drug,
        "{total_mg}": f"{findings.total_24h_mg:,}",
        "{cap_mg}": f"{findings.cap_mg:,}",
        "{never_above_mg}": f"{findings.never_above_mg:,}" if findings.never_above_mg is not None else "",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _dose_rules(findings: DoseFindings) -> list[AlertRule]:
    """The enabled rules of the findings, the most serious first (then the findings' order)."""
    rows = {row.code: row for row in AlertRule.objects.filter(code__in=findings.rules, enabled=True)}
    rules = [rows[code] for code in findings.rules if code in rows]
    return sorted(rules, key=lambda row: -SEVERITY_RANK[row.severity])


def recommend_for_dose(findings: DoseFindings) -> DoseAlerts:
    """The words for the patient, without raising anything (a page shown again)."""
    return DoseAlerts(
        recommendations=[
            {"rule": row.code, "severity": row.severity, "message": _dose_words(row.patient_message, findings)}
            for row in _dose_rules(findings)
        ]
    )


@transaction.atomic
def raise_dose_alerts(findings: DoseFindings) -> DoseAlerts:
    """A dose at a cap, above an absolute maximum or combining two NSAIDs.

    1. The findings' enabled rules, the most serious first, become the patient's words.
    2. One alert per dose and severity (``raising.raise_findings``: inbox item,
       notifications) listing each of its rules, worded with all of them.
    """
    answer = recommend_for_dose(findings)
    rules = _dose_rules(findings)
    patient = findings.dose.patient
    for severity in (Severity.URGENT, Severity.CONTACT_PROVIDER):
        group = [row for row in rules if row.severity == severity]
        if not group:
            continue
        dose = findings.dose.pk
        words = [
            Finding(
                rule=row,
                severity=severity,
                dedup_key=f"p{patient.pk}:medication:{row.code}:dose{dose}",
                patient_message=_dose_words(row.patient_message, findings),
                clinician_message=_dose_words(row.clinician_message, findings),
            )
            for row in group
        ]
        # The first finding carries the words of the whole group: what the patient was told.
        lead = replace(
            words[0],
            patient_message=" ".join(w.patient_message for w in words),
            clinician_message=" ".join(w.clinician_message for w in words),
        )
        alert, _ = raise_findings(
            patient=patient,
            entry=None,
            alert_key=f"p{patient.pk}:medication:{severity}:dose{dose}",
            findings=[lead, *[replace(w, clinician_message="") for w in words[1:]]],
            notify=not answer.alert_ids,  # the first alert of the dose emails; one email per dose
        )
        if alert is not None:
            answer.alert_ids.append(alert.pk)
    return answer


# --- Lifecycle ----------------------------------------------------------------------------


def check_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationError({"note": ["Write the note as text."]})
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [f"Keep the note to at most {MAX_NOTE} characters."]})
    return note


def _check_clinician(alert: Alert, by: User) -> None:
    """The clinicians who may read the alert may act on it: the care team, and the
    triage pool for a patient without one or an escalated alert (``alerts_visible_to``)."""
    from alerts.selectors import alerts_visible_to

    if getattr(by, "role", None) != "clinician" or not alerts_visible_to(by).filter(pk=alert.pk).exists():
        raise PermissionDenied("Only a clinician on the patient's care team or the triage pool can do this.")


@transaction.atomic
def acknowledge_alert(*, alert: Alert, by: User, note: str | None = "") -> Alert:
    """Open -> acknowledged (the patient sees when). Acknowledging again changes nothing."""
    note = check_note(note)
    _check_clinician(alert, by)
    hold_alert_patient(alert.patient_id)  # before the alert row (alerts.inbox)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError({"status": ["This alert is already resolved."]})
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.note = note
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "note"])
    record_audit(actor=by, action="alert.acknowledge", patient_id=alert.patient_id, obj=alert)
    item_follows_alert(alert)
    return alert


@transaction.atomic
def resolve_alert(*, alert: Alert, by: User, note: str | None = "") -> Alert:
    """Open or acknowledged -> resolved, with a note. Resolving implies it was seen."""
    note = check_note(note)
    _check_clinician(alert, by)
    hold_alert_patient(alert.patient_id)  # before the alert row (alerts.inbox)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError({"status": ["This alert is already resolved."]})
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = by
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = by
    alert.resolution_note = note
    alert.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution_note"]
    )
    record_audit(actor=by, action="alert.resolve", patient_id=alert.patient_id, obj=alert)
    item_follows_alert(alert)
    return alert


def escalate_overdue_alerts() -> int:
    """Urgent alerts nobody acknowledged in time: the care team again, and the triage
    pool and on-call address as well (CLINICAL.md section 7).

    1. Find open urgent alerts older than ``AFTERCARE_ALERT_ESCALATION_MINUTES`` not yet
       escalated (partial index ``alert_urgent_unacknowledged``).
    2. Claim each with a conditional update (two workers escalate it once); from then
       on the triage pool may open the alert and its inbox item (``escalated_at``).
    3. Queue an "escalation" email per clinician of the care team and of the pool, and
       one to the on-call address (each its own dedup key); nobody at all: the admins.
    4. The inbox item stays urgent (re-posting raises it back if someone lowered it)
       and is shared with the triage pool.
    """
    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.AFTERCARE_ALERT_ESCALATION_MINUTES)
    overdue = list(
        Alert.objects.filter(
            status=AlertStatus.OPEN, severity=Severity.URGENT, escalated_at__isnull=True, created_at__lte=cutoff
        )
        .select_related("patient", "rule")
        .order_by("created_at")[:500]
    )
    escalated = 0
    oncall_email = current_clinic().oncall_email if overdue else ""
    pool = triage_pool() if overdue else ()
    for alert in overdue:
        with transaction.atomic():
            hold_alert_patient(alert.patient_id)  # before the alert row (alerts.inbox)
            claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue
            _escalate(alert, oncall_email=oncall_email, pool=pool)
            escalated += 1
    return escalated


def _escalate(alert: Alert, *, oncall_email: str, pool: tuple[User, ...]) -> None:
    from messaging.services import share_inbox_item_with_triage

    key, link = f"alert:{alert.pk}:escalation", alert_link(alert)
    responsible = responsible_for(alert.patient)
    team = responsible.clinicians if responsible.audience == Audience.CARE_TEAM else ()
    clinicians = {clinician.pk: clinician for clinician in (*team, *pool)}
    for clinician in clinicians.values():
        queue_notification(recipient=clinician, kind="escalation", dedup_key=key, link=link, source=alert)
    queue_notification_to_address(
        address=oncall_email, address_name="oncall", kind="oncall_escalation", dedup_key=key, link=link, source=alert
    )
    if not clinicians and not oncall_email:
        tell_admins_nobody_was_reached(alert)
    post_to_inbox(alert)
    share_inbox_item_with_triage(source=alert, kind="alert")


# --- Per-patient thresholds -------------------------------------------------------------


def plain_number(value: Decimal | None) -> str:
    """38.50 -> "38.5", 40.00 -> "40" (never "4E+1")."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


def check_threshold(*, rule_code: object, value: object) -> tuple[AlertRule, Decimal | None]:
    """Validate a clinician's custom threshold; errors name the field. Both are
    required (``NOT_SENT``: left out); a ``value`` of None restores the default."""
    if rule_code is NOT_SENT:
        raise ValidationError({"rule": [REQUIRED]})
    if value is NOT_SENT:
        raise ValidationError({"value": ["This field is required (null restores the default)."]})
    # PostgreSQL refuses a NUL character in a text comparison (a 500): it is no code.
    if not isinstance(rule_code, str) or not rule_code or "\x00" in rule_code:
        raise ValidationError({"rule": ["Give the code of an alert rule."]})
    rule = AlertRule.objects.filter(code=rule_code).first()
    if rule is None:
        raise ValidationError({"rule": ["There is no alert rule with this code."]})
    if not rule.adjustable_threshold:
        raise ValidationError({"rule": ["This rule has no threshold that can be set per patient."]})
    if value is None:
        return rule, None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValidationError({"value": ["Give a number."]})
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"value": ["Give a number."]}) from None
    if not number.is_finite():
        raise ValidationError({"value": ["Give a number."]})
    parameter = schema_of(rule.code).parameter(rule.adjustable_threshold)
    if parameter is None or not rule.in_force().usable:
        raise ValidationError({"rule": ["This rule's thresholds are being repaired by an admin; try again later."]})
    if parameter.places == 0 and number != number.to_integral_value():
        raise ValidationError({"value": ["Give a whole number."]})
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError({"value": ["Use at most two decimal places."]})
    low, high = rule.threshold_min, rule.threshold_max
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError({"value": [f"Give a value between {plain_number(low)} and {plain_number(high)}."]})
    return rule, number


@transaction.atomic
def set_patient_threshold(
    *, patient: Patient, rule_code: object, value: object, set_by: User
) -> PatientThreshold | None:
    """Replace one rule's default threshold for this patient (``value`` None restores
    the default). Only a clinician on the care team may."""
    rule, number = check_threshold(rule_code=rule_code, value=value)
    if getattr(set_by, "role", None) != "clinician" or not is_on_care_team(clinician=set_by, patient=patient):
        raise PermissionDenied("Only a clinician on the patient's care team can set thresholds.")
    if number is None:
        PatientThreshold.objects.filter(patient=patient, rule=rule).delete()
        record_audit(actor=set_by, action="alert_threshold.reset", patient_id=patient.pk, obj=rule)
        return None
    threshold, _ = PatientThreshold.objects.update_or_create(
        patient=patient, rule=rule, defaults={"value": number, "set_by": set_by, "set_at": timezone.now()}
    )
    record_audit(actor=set_by, action="alert_threshold.set", patient_id=patient.pk, obj=threshold)
    return threshold
