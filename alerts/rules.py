"""Rules as data -> the engine's rules: the ``AlertRule`` rows merged with a patient's
custom thresholds (one query for one patient, two for many); no clinical number is
written here."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from alerts import engine
from alerts.models import AlertRule, PatientThreshold
from patients.models import Patient


def to_engine_rule(row: AlertRule) -> engine.Rule:
    return engine.Rule(
        code=row.code,
        kind=row.kind,
        order=row.order,
        severity=row.severity,
        thresholds={key: engine.as_decimal(value) for key, value in (row.thresholds or {}).items()},
        enabled=row.enabled,
        patient_message=row.patient_message,
        clinician_message=row.clinician_message,
        variant_severity=row.variant_severity,
        variant_patient_message=row.variant_patient_message,
        variant_clinician_message=row.variant_clinician_message,
    )


def _rules_of(kinds: Iterable[str] | None) -> QuerySet[AlertRule]:
    rows = AlertRule.objects.all()
    return rows if kinds is None else rows.filter(kind__in=list(kinds))


def rule_rows(kinds: Iterable[str] | None = None) -> list[AlertRule]:
    return list(_rules_of(kinds))


def adjustable_keys(rows: Iterable[AlertRule]) -> dict[str, str]:
    return {row.code: row.adjustable_threshold for row in rows if row.adjustable_threshold}


def overrides_by_patient(patient_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """patient id -> {rule code: custom value}, in one query."""
    result: dict[int, dict[str, Decimal]] = {}
    for patient_id, code, value in PatientThreshold.objects.filter(patient_id__in=list(patient_ids)).values_list(
        "patient_id", "rule__code", "value"
    ):
        result.setdefault(patient_id, {})[code] = value
    return result


class RuleBook:
    """The rule rows loaded once (per entry, per scan); merged per patient on demand."""

    def __init__(self, rows: list[AlertRule], overrides: dict[int, dict[str, Decimal]] | None = None) -> None:
        self.rows = {row.code: row for row in rows}
        self.defaults = {row.code: to_engine_rule(row) for row in rows}
        self.adjustable = adjustable_keys(rows)
        self.overrides = overrides or {}
        self._cache: dict[int, dict[str, engine.Rule]] = {}

    def for_patient(self, patient_id: int) -> dict[str, engine.Rule]:
        if patient_id not in self._cache:
            self._cache[patient_id] = engine.merge_thresholds(
                self.defaults.values(), self.overrides.get(patient_id, {}), self.adjustable
            )
        return self._cache[patient_id]

    def loosest(self, code: str, key: str, *, lowest: bool = True) -> Decimal | None:
        """The most permissive value of one threshold over every patient: the scan's
        SQL prefilter uses it, the engine then applies each patient's own value."""
        rule = self.defaults.get(code)
        if rule is None or key not in rule.thresholds:
            return None
        values = [rule.thresholds[key]]
        if self.adjustable.get(code) == key:
            values += [o[code] for o in self.overrides.values() if code in o]
        return min(values) if lowest else max(values)


def rule_book_for(patient_ids: Iterable[int], kinds: Iterable[str] | None = None) -> RuleBook:
    return RuleBook(rule_rows(kinds), overrides_by_patient(patient_ids))


def rule_book_for_patient(patient_id: int, kinds: Iterable[str] | None = None) -> RuleBook:
    """One patient's rules with their custom values, in one query (each new diary entry
    loads this): every rule row carries the patient's value for it, if any."""
    custom = PatientThreshold.objects.filter(rule=OuterRef("pk"), patient_id=patient_id).order_by().values("value")[:1]
    rows = list(_rules_of(kinds).annotate(custom_value=Subquery(custom)))
    return RuleBook(rows, {patient_id: {row.code: row.custom_value for row in rows if row.custom_value is not None}})


def all_overrides(codes: Iterable[str]) -> dict[int, dict[str, Decimal]]:
    """Every patient's custom values for these rules (the scan's prefilter needs all)."""
    result: dict[int, dict[str, Decimal]] = {}
    for patient_id, code, value in PatientThreshold.objects.filter(rule__code__in=list(codes)).values_list(
        "patient_id", "rule__code", "value"
    ):
        result.setdefault(patient_id, {})[code] = value
    return result


def chart_rules_for(patient: Patient) -> dict[str, engine.Rule]:
    return rule_book_for_patient(patient.pk).for_patient(patient.pk)
