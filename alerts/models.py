"""Alert rules as data, per-patient thresholds, alerts and the scan's high-water mark.

Every clinical number lives in ``AlertRule.thresholds`` (seeded from CLINICAL.md by a
data migration, editable in admin); a clinician may replace one of them per patient
(``PatientThreshold``). Alerts are clinical rows: never deleted, PROTECT everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from alerts.parameters import InvalidThresholds, check_thresholds, describe
from alerts.rule_cache import kept_rule_rows
from patients.models import Patient, SymptomEntry
from patients.routing import Audience

logger = logging.getLogger(__name__)


class Severity(models.TextChoices):
    INFO = "info", "Information"
    CONTACT_PROVIDER = "contact_provider", "Contact your care team today"
    URGENT = "urgent", "Urgent"


# "Only the highest severity first": a larger rank sorts first.
SEVERITY_RANK = {Severity.INFO: 0, Severity.CONTACT_PROVIDER: 1, Severity.URGENT: 2}


@dataclass(frozen=True)
class ThresholdsInForce:
    values: dict[str, Decimal]
    source: str  # "saved", "last_valid" or "none" (no valid values at all: the rule cannot run)
    problems: dict[str, str]  # what is wrong with the saved thresholds (parameter -> why)

    @property
    def usable(self) -> bool:
        return self.source != "none"


SOURCE_WORDS = {
    "saved": "the saved values",
    "last_valid": "the last valid values until an admin saves the rule again",
    "none": "nothing: the rule does not run until an admin saves it with valid values",
}


def thresholds_in_force(code: str, saved, last_valid) -> ThresholdsInForce:
    """The thresholds a rule runs with (see ``AlertRule.in_force``), without logging."""
    try:
        return ThresholdsInForce(check_thresholds(code, saved), "saved", {})
    except InvalidThresholds as invalid:
        problems = invalid.problems
    try:
        return ThresholdsInForce(check_thresholds(code, last_valid), "last_valid", problems)
    except InvalidThresholds:
        return ThresholdsInForce({}, "none", problems)


class RuleKind(models.TextChoices):
    INSTANT = "instant", "Evaluated on each entry"
    PATTERN = "pattern", "Pattern (scheduled scan)"
    MEDICATION = "medication", "Medication log"


class AlertRuleQuerySet(models.QuerySet):
    # Every write drops the rows this process keeps (alerts.rule_cache); an update moves
    # ``updated_at``, as every save() does, so that other processes notice it too.
    def update(self, **kwargs):
        kwargs.setdefault("updated_at", timezone.now())
        kept_rule_rows.forget()
        return super().update(**kwargs)

    def delete(self):
        kept_rule_rows.forget()
        return super().delete()


class AlertRule(models.Model):
    """One rule of CLINICAL.md sections 2 and 3 (and the medication rules of section 5).

    ``thresholds`` holds every number the rule compares with, one value per parameter
    of the rule's schema (``alerts.parameters``: name, unit, bounds). The admin form
    refuses anything else; a row that fails the schema anyway (written past the form)
    is never used: the engine runs with ``last_valid_thresholds`` (the seeded values
    until an admin's first valid edit) and admins are told (``alerts.rules``).
    ``adjustable_threshold`` names the one parameter a clinician may replace for a
    single patient, within ``threshold_min``..``threshold_max``. A rule with a second
    form (for example ``atypical_headache`` is urgent with vision change) words it in
    ``variant_*``. What the rule does, in words, is ``description``: made from the
    values in force, never stored.
    """

    code = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    order = models.PositiveSmallIntegerField(default=0, help_text="Listing order (the table order of CLINICAL.md).")
    summary = models.CharField(
        max_length=120,
        help_text="The inbox line: what happened, without values (e.g. 'New neurological symptom reported').",
    )
    severity = models.CharField(max_length=16, choices=Severity.choices)
    thresholds = models.JSONField(default=dict, blank=True)
    # The values of the latest valid save (seeded with CLINICAL.md's): what the engine
    # uses while ``thresholds`` fails its schema. Written only with valid values.
    last_valid_thresholds = models.JSONField(default=dict, blank=True, editable=False)
    adjustable_threshold = models.CharField(
        max_length=64, blank=True, help_text="The key of `thresholds` a clinician may set per patient."
    )
    threshold_min = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    threshold_max = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    patient_message = models.TextField(help_text="Plain words for the patient; may use {temperature}.")
    clinician_message = models.TextField()
    variant_severity = models.CharField(max_length=16, choices=Severity.choices, blank=True)
    variant_patient_message = models.TextField(blank=True)
    variant_clinician_message = models.TextField(blank=True)
    citation_key = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "order", "code"]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        kept_rule_rows.forget()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        kept_rule_rows.forget()
        return super().delete(*args, **kwargs)

    @property
    def description(self) -> str:
        """When the rule fires, from the values the engine uses now."""
        return describe(self.code, self.in_force().values)

    def in_force(self) -> ThresholdsInForce:
        """The thresholds the engine uses: the saved ones when they pass the rule's
        schema, else the last valid ones (logged, and shown to admins), else none (the
        rule cannot run). Worked out once per state of the row."""
        state = (repr(self.thresholds), repr(self.last_valid_thresholds))
        cached = self.__dict__.get("_in_force")
        if cached is not None and cached[0] == state:
            return cached[1]
        result = thresholds_in_force(self.code, self.thresholds, self.last_valid_thresholds)
        if result.problems:
            # The rule's code and the names of its parameters: no patient, no value.
            logger.error(
                "alert rule %s: saved thresholds are not valid (%s); the rules use %s",
                self.code,
                "; ".join(f"{name} {why}" for name, why in sorted(result.problems.items())),
                SOURCE_WORDS[result.source],
            )
        self.__dict__["_in_force"] = (state, result)
        return result


class PatientThreshold(models.Model):
    """A clinician's custom value for one rule's adjustable threshold, for one patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alert_thresholds")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="patient_thresholds")
    value = models.DecimalField(max_digits=7, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule__order"]
        constraints = [models.UniqueConstraint(fields=["patient", "rule"], name="one_threshold_per_patient_rule")]

    def __str__(self) -> str:
        return f"Threshold #{self.pk}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """What a diary entry (or a dose) raised: open -> acknowledged -> resolved.

    One alert per entry (CLINICAL.md section 2): its severity is the highest of the
    rules that fired on the entry, on the spot or later in the scan, and ``rules``
    lists every one of them (each an ``AlertFiring``). ``rule`` is the first of them,
    the most serious. ``dedup_key`` is unique per patient and entry (per dose and
    severity for the medication log): the last line of defence against two workers,
    two beats or a rescan creating the entry's alert twice.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    rules = models.ManyToManyField(AlertRule, through="AlertFiring", related_name="+")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    entry = models.ForeignKey(SymptomEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    message = models.TextField(help_text="What the patient was told.")
    # Who was told when it was raised (CLINICAL.md section 7): the care team, or the
    # triage pool and on-call address of a patient without one.
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.CARE_TEAM)
    clinician_message = models.TextField(blank=True)
    dedup_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, max_length=2000, help_text="The acknowledging clinician's note.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True, max_length=2000)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The inbox item of the patient's episode this alert joined (API.md: a patient's open
    # alerts share one item). Its status and the alert's move together (alerts.inbox).
    inbox_item = models.ForeignKey(
        "messaging.InboxItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The patient's alert list and the chart panel: one patient, newest first.
            models.Index(fields=["patient", "-created_at"], name="alert_patient_recent"),
            # The escalation task's query: urgent alerts still open and not yet escalated.
            models.Index(
                fields=["created_at"],
                name="alert_urgent_unacknowledged",
                condition=Q(status="open", severity="urgent", escalated_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk}"


class AlertFiring(models.Model):
    """One rule that fired, for one episode, on the alert of its entry.

    ``dedup_key`` is unique per patient, rule and episode: the entry for an instant or
    event rule, the procedure and the episode for a state rule (``not_improving_72h``,
    ``late_back_pain``: a new episode starts after the previous one's alert was
    resolved, alerts.scan). The scan and the nightly rescan create a firing once,
    whichever finds it first, and attach it to the entry's alert.
    """

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="firings")
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="firings")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    dedup_key = models.CharField(max_length=200, unique=True)
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alert", "id"]

    def __str__(self) -> str:
        return f"Firing #{self.pk}"


class ScanState(models.Model):
    """The scan's progress: every entry with ``id <= high_water_id`` has been scanned.

    One row per scan ("symptom_scan", "full_rescan"). Workers claim the row with
    ``select_for_update(skip_locked=True)``: a second worker or beat skips the run
    instead of scanning the same rows at the same time.
    """

    name = models.CharField(max_length=32, unique=True)
    high_water_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_entries = models.PositiveIntegerField(default=0)
    last_run_alerts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
