"""Rules as data -> the engine's rules: the ``AlertRule`` rows merged with a patient's
custom thresholds (one query for one patient, two for many); no clinical number is
written here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from alerts import engine
from alerts.models import SOURCE_WORDS, AlertRule, PatientThreshold, thresholds_in_force
from alerts.rule_cache import kept_rule_rows
from patients.models import Patient


def to_engine_rule(row: AlertRule) -> engine.Rule:
    """The row as the engine runs it: with the thresholds in force (a row that fails its
    schema runs with its last valid values, or not at all: ``AlertRule.in_force``)."""
    in_force = row.in_force()
    return engine.Rule(
        code=row.code,
        kind=row.kind,
        order=row.order,
        severity=row.severity,
        thresholds=in_force.values,
        enabled=row.enabled and in_force.usable,
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
        self._cache: dict[int | None, dict[str, engine.Rule]] = {}

    def for_patient(self, patient_id: int) -> dict[str, engine.Rule]:
        # Patients without a custom value share one merge (the rescan asks for every
        # patient with a candidate entry: tens of thousands of identical merges).
        key = patient_id if self.overrides.get(patient_id) else None
        if key not in self._cache:
            self._cache[key] = engine.merge_thresholds(
                self.defaults.values(), self.overrides.get(patient_id, {}), self.adjustable
            )
        return self._cache[key]

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


# --- One patient's rules, for every diary entry --------------------------------------
#
# Every entry reads just every rule's id and last change with the patient's value for
# it, and takes the rows themselves from those this process keeps (alerts.rule_cache).
# That one query is written out in SQL: on the path of every entry, building it with
# the ORM cost twice what PostgreSQL took to answer it.
RULE_STAMPS_SQL = (
    "SELECT r.id, r.kind, r.updated_at, t.value FROM alerts_alertrule r"
    " LEFT JOIN alerts_patientthreshold t ON t.rule_id = r.id AND t.patient_id = %s"
)


def _rule_stamps(patient_id: int, kinds: Iterable[str] | None) -> list[tuple[int, Any, Any]]:
    """(rule id, updated_at, the patient's custom value or None) for every rule of ``kinds``."""
    with connection.cursor() as cursor:
        cursor.execute(RULE_STAMPS_SQL, [patient_id])
        rows = cursor.fetchall()
    wanted = None if kinds is None else set(kinds)
    return [(pk, changed, value) for pk, kind, changed, value in rows if wanted is None or kind in wanted]


def _threshold_value(raw: Any) -> Decimal:
    """A custom value as the ORM gives it (PostgreSQL answers a Decimal, SQLite a float)."""
    places = PatientThreshold._meta.get_field("value").decimal_places
    return Decimal(str(raw)).quantize(Decimal(1).scaleb(-places))


def rule_book_for_patient(patient_id: int, kinds: Iterable[str] | None = None) -> RuleBook:
    """One patient's rules with their custom values, in one query (each new diary entry
    loads this); rule rows edited since this process read them are read again."""
    stamps = _rule_stamps(patient_id, kinds)
    changed_at = {pk: changed for pk, changed, _ in stamps}
    found = {pk: kept_rule_rows.get(pk, changed) for pk, changed in changed_at.items()}
    stale = [pk for pk, row in found.items() if row is None]
    if stale:
        for pk, row in AlertRule.objects.in_bulk(stale).items():
            kept_rule_rows.keep(row, changed_at[pk])
            found[pk] = row
    rows = {pk: row for pk, row in found.items() if row is not None}
    ordered = sorted(rows.values(), key=lambda row: (row.kind, row.order, row.code))  # the model's ordering
    custom = {rows[pk].code: _threshold_value(value) for pk, _, value in stamps if value is not None and pk in rows}
    return RuleBook(ordered, {patient_id: custom})


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


# --- Rows that fail their schema: what admins are told --------------------------------------


@dataclass(frozen=True)
class RuleProblem:
    code: str
    source: str  # what the engine uses instead: "last_valid" or "none"
    problems: dict[str, str]

    @property
    def consequence(self) -> str:
        return SOURCE_WORDS[self.source]


def rule_problems() -> list[RuleProblem]:
    """Every rule whose saved thresholds are not valid, in the listing order (one query)."""
    found = []
    rows = AlertRule.objects.values_list("code", "thresholds", "last_valid_thresholds")
    for code, saved, last_valid in rows:
        in_force = thresholds_in_force(code, saved, last_valid)
        if in_force.problems:
            found.append(RuleProblem(code, in_force.source, in_force.problems))
    return found
