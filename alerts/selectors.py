"""Reads of alerts, scoped to the caller: "missing" and "not yours" are the same 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from alerts.models import Alert, AlertRule, AlertStatus, PatientThreshold, Severity
from alerts.parameters import describe
from alerts.rules import rule_book_for, rule_book_for_patient
from patients.models import Patient
from patients.routing import is_in_triage_pool, patients_in_triage_for
from patients.selectors import patient_for, patient_in_scope, patients_visible_to
from portal.accounts.models import User
from portal.validation import id_or_404


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """The patient's own alerts, or those of a clinician's active care team; for the
    clinic's triage pool also the alerts of patients without a care team and every
    escalated urgent alert (CLINICAL.md section 7)."""
    mine = Q(patient__in=patients_visible_to(user))
    if not is_in_triage_pool(user):
        return Alert.objects.filter(mine)
    triage = Q(patient__in=patients_in_triage_for(user)) | Q(severity=Severity.URGENT, escalated_at__isnull=False)
    return Alert.objects.filter(mine | triage)


def alert_list_for(user: User, *, patient_id: int | str | None = None, status: str | None = None) -> QuerySet[Alert]:
    """``GET /api/v1/alerts/?patient=&status=``: a bad status is a 400 naming it; a
    patient the caller may not see is a 404."""
    if status not in (None, "") and status not in AlertStatus.values:
        raise ValidationError({"status": [f"Use one of: {', '.join(AlertStatus.values)}."]})
    alerts = alerts_visible_to(user)
    if patient_id not in (None, ""):
        # The patient's own, a care-team patient's, or one the caller follows as a caregiver.
        alerts = Alert.objects.filter(patient=patient_in_scope(user, patient_id, caregivers=True))
    if status:
        alerts = alerts.filter(status=status)
    return (
        alerts.select_related("rule", "acknowledged_by", "resolved_by", "entry")
        .prefetch_related("firings__rule")
        .order_by("-created_at", "-id")
    )


def alert_for(user: User, alert_id: int | str | None) -> Alert:
    pk = id_or_404(alert_id)
    alert = (
        alerts_visible_to(user)
        .select_related("rule", "patient__user", "acknowledged_by", "resolved_by", "entry")
        .prefetch_related("firings__rule")
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise Http404
    return alert


def open_alerts_for(patient: Patient) -> QuerySet[Alert]:
    return patient.alerts.exclude(status=AlertStatus.RESOLVED).select_related("rule")


def banner_alerts_for(user: User) -> list[Alert]:
    """The signed-in patient's urgent and contact_provider alerts not yet resolved,
    most serious and newest first: the banner on each of their pages (open: "not yet
    seen"; acknowledged: "seen by <name> at <time>"). One query, by the patient's user
    (no Patient row read first)."""
    alerts = (
        Alert.objects.filter(
            patient__user=user,
            severity__in=(Severity.URGENT, Severity.CONTACT_PROVIDER),
            status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
        )
        .select_related("acknowledged_by")
        .order_by("-created_at", "-id")[:20]
    )
    # Open before seen, urgent before contact_provider, newest first within each.
    return sorted(alerts, key=lambda a: (a.status != AlertStatus.OPEN, a.severity != Severity.URGENT))


def thresholds_of(patient: Patient) -> list[dict[str, Any]]:
    """Every adjustable threshold with its default and the patient's value."""
    custom = {t.rule_id: t for t in PatientThreshold.objects.filter(patient=patient).select_related("set_by")}
    rows = []
    for rule in AlertRule.objects.exclude(adjustable_threshold="").order_by("kind", "order"):
        in_force = rule.in_force()
        if rule.adjustable_threshold not in in_force.values:
            continue  # a rule that cannot run (its admin is told): nothing to adjust
        default = in_force.values[rule.adjustable_threshold]
        mine = custom.get(rule.pk)
        values = {**in_force.values, rule.adjustable_threshold: mine.value if mine else default}
        rows.append(
            {
                "rule": rule.code,
                "description": describe(rule.code, values),
                "key": rule.adjustable_threshold,
                "default": default,
                "value": mine.value if mine else default,
                "custom": mine is not None,
                "min": rule.threshold_min,
                "max": rule.threshold_max,
                "set_by": mine.set_by.display_name if mine else None,
                "set_at": mine.set_at if mine else None,
                "enabled": rule.enabled,
            }
        )
    return rows


def chart_thresholds(patient: Patient | None) -> dict[str, Decimal]:
    """The lines the diary chart draws and its spike definition, from the same rules
    the engine uses: one patient's (with their custom values), or the rules' defaults
    for ``None`` (a list of many patients). The patients app reads them through
    ``patients.plugins``: the rules are the one store of these thresholds."""
    book = rule_book_for([]) if patient is None else rule_book_for_patient(patient.pk)
    rules = book.defaults if patient is None else book.for_patient(patient.pk)
    result: dict[str, Decimal] = {}
    if "fever" in rules and "temperature_c" in rules["fever"].thresholds:
        result["temperature_c"] = rules["fever"]["temperature_c"]
    if "severe_pain" in rules and "pain_score" in rules["severe_pain"].thresholds:
        result["back_pain"] = result["headache"] = rules["severe_pain"]["pain_score"]
    # The chart's spike markers are the score_rise rule itself (API.md: never disagree).
    if "score_rise" in rules and rules["score_rise"].thresholds:
        result["score_rise_points"] = rules["score_rise"]["rise"]
        result["score_rise_window_hours"] = rules["score_rise"]["window_hours"]
    return result


def visible_patient(user: User, patient_id: int | str | None) -> Patient:
    return patient_for(user, patient_id)
