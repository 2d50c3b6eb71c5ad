"""The scan's query builders: the features of each symptom entry that the pattern
rules read (previous entry, previous temperatures, the baseline, the latest
procedure), computed two ways over the same columns, and the loosest condition
under which a row could fire. ``alerts.scan`` runs them and decides.

* ``with_lookups`` (the incremental scan): a correlated, indexed look-up per
  candidate row, so the cost follows the new rows.
* ``with_windows`` (the full rescan): window functions over every entry.

The ORM trap: a plain ``.filter()`` on a window-annotated queryset goes into WHERE,
which SQL applies *before* the window (the window would no longer see the rows it
needs). Conditions on plain columns that must not hide rows from the window are
therefore written against window annotations only, which Django applies after the
window (in an outer query).
"""

from __future__ import annotations

import functools
import operator
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    RowRange,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Lag, RowNumber

from alerts.rules import RuleBook
from patients.models import Procedure, SymptomEntry

ALERT_CODES = ("rising_fever", "new_weakness", "not_improving_72h", "late_back_pain")


def _deficit() -> ExpressionWrapper:
    return ExpressionWrapper(Q(leg_weakness=True) | Q(numbness=True), output_field=BooleanField())


def _latest_procedure_at() -> Subquery:
    """Per row: one index look-up (``procedure_patient_latest``). For a few rows."""
    return Subquery(
        Procedure.objects.filter(patient_id=OuterRef("patient_id")).order_by("-performed_at").values("performed_at")[:1]
    )


def latest_procedures() -> FilteredRelation:
    """For every row: a join to each patient's latest procedure. The set of latest
    procedures is one uncorrelated subquery (computed once, hashed), so the window
    expressions below read ``proc_at`` as a plain column instead of repeating a
    look-up per row and per expression."""
    later = Procedure.objects.filter(patient_id=OuterRef("patient_id")).filter(
        Q(performed_at__gt=OuterRef("performed_at")) | Q(performed_at=OuterRef("performed_at"), id__gt=OuterRef("id"))
    )
    latest = Procedure.objects.filter(~Exists(later)).values("id")
    return FilteredRelation("patient__procedures", condition=Q(patient__procedures__in=Subquery(latest)))


def fever_window(book: RuleBook) -> timedelta:
    rule = book.defaults["rising_fever"]
    return timedelta(hours=float(rule["window_hours"])) if rule.enabled else timedelta(0)


def baseline_span(book: RuleBook) -> timedelta:
    """The first hours of logging ``not_improving_72h`` compares with (48: day 0-1)."""
    rule = book.defaults["not_improving_72h"]
    return timedelta(hours=float(rule["baseline_hours"])) if rule.enabled else timedelta(0)


def valid_entries() -> QuerySet[SymptomEntry]:
    return SymptomEntry.objects.filter(entered_in_error_at__isnull=True)


def with_lookups(entries: QuerySet[SymptomEntry], book: RuleBook) -> QuerySet[SymptomEntry]:
    """The incremental path: each feature is an indexed look-up per candidate row
    (index ``entry_patient_recorded``), independent of how long the history is."""
    # Earlier in (recorded_at, id) order, written as "recorded_at <= t, but not a tie
    # with a higher id": the index walks back from t (no OR of two index scans).
    earlier = (
        valid_entries()
        .filter(patient_id=OuterRef("patient_id"), recorded_at__lte=OuterRef("recorded_at"))
        .exclude(recorded_at=OuterRef("recorded_at"), id__gte=OuterRef("id"))
    )
    newest_first = ("-recorded_at", "-id")
    # Only readings inside the rising-fever window: a second one found is in the window.
    temperatures = (
        earlier.filter(temperature_c__isnull=False, recorded_at__gte=OuterRef("recorded_at") - fever_window(book))
        .order_by(*newest_first)
        .values("temperature_c")
    )
    # The baseline (CLINICAL.md section 3): the day 0-1 entries before this one (the first
    # ``baseline_hours`` after the procedure); a patient with none there started logging
    # later (``early_entries`` 0): ``late_start_baselines`` reads theirs after the query.
    span = baseline_span(book)
    early = valid_entries().filter(
        patient_id=OuterRef("patient_id"),
        recorded_at__gte=OuterRef("proc_at"),
        recorded_at__lt=OuterRef("proc_at") + span,
    )
    # Earlier than this entry in (recorded_at, id) order, as ``earlier`` reads it.
    baseline = early.filter(recorded_at__lte=OuterRef("recorded_at")).exclude(
        recorded_at=OuterRef("recorded_at"), id__gte=OuterRef("id")
    )

    def baseline_max(name: str) -> Subquery:
        return Subquery(baseline.values("patient_id").annotate(top=Max(name)).values("top")[:1])

    # Each look-up runs only for rows that could use it (PostgreSQL evaluates a CASE
    # branch lazily): an entry without a deficit needs no previous entry, a normal
    # temperature no earlier readings, low pain no baseline. Cost follows new work.
    gates = _gates(book)

    def only_if(gate: Q | None, value, output_field) -> Case:
        # A rule that is off gets a gate that is never true (ids are positive): the
        # look-up never runs, and the column stays a distinct expression for Django.
        return Case(When(gate or Q(id__lt=0), then=value), default=None, output_field=output_field)

    temperature = DecimalField(max_digits=5, decimal_places=2)
    return entries.annotate(
        # A window over the candidates makes Django put ``could_fire`` in an outer query
        # that reads these columns, so each look-up runs once per row, not again in WHERE.
        scan_order=Window(RowNumber()),
        proc_at=only_if(gates["procedure"], _latest_procedure_at(), DateTimeField()),
        early_entries=only_if(
            gates["pain"], Case(When(Exists(early), then=Value(1)), default=Value(0)), IntegerField()
        ),
        has_deficit=_deficit(),
        prev_deficit=only_if(
            gates["deficit"],
            Subquery(earlier.order_by(*newest_first).annotate(d=_deficit()).values("d")[:1]),
            BooleanField(),
        ),
        prev_temp_1=only_if(gates["temperature"], Subquery(temperatures[:1]), temperature),
        prev_temp_2=only_if(gates["temperature"], Subquery(temperatures[1:2]), temperature),
        prev_temp_2_at=Cast(Value(None), DateTimeField()),  # None: within the window by construction
        baseline_headache=only_if(gates["pain"], baseline_max("headache"), IntegerField()),
        baseline_back_pain=only_if(gates["pain"], baseline_max("back_pain"), IntegerField()),
    )


def _gates(book: RuleBook) -> dict[str, Q | None]:
    """What an entry itself must show (loosest thresholds) for each look-up to matter."""

    def enabled(code: str) -> bool:
        return code in book.defaults and book.defaults[code].enabled

    gates: dict[str, Q | None] = {"deficit": None, "temperature": None, "pain": None, "procedure": None}
    if enabled("new_weakness"):
        gates["deficit"] = Q(leg_weakness=True) | Q(numbness=True)
    if enabled("rising_fever"):
        gates["temperature"] = Q(temperature_c__gte=book.loosest("rising_fever", "last_temperature_c"))
    if enabled("not_improving_72h"):
        pain = book.loosest("not_improving_72h", "pain_score")
        gates["pain"] = Q(headache__gte=pain) | Q(back_pain__gte=pain)
    procedure = [g for g in (gates["pain"],) if g is not None]
    if enabled("late_back_pain"):
        procedure.append(Q(back_pain__gte=book.loosest("late_back_pain", "back_pain")))
    if procedure:
        gates["procedure"] = functools.reduce(operator.or_, procedure)
    return gates


def with_windows(entries: QuerySet[SymptomEntry], book: RuleBook) -> QuerySet[SymptomEntry]:
    """The full rescan: the same features from window functions over the patient's
    entries in time order (the previous temperature readings partition by
    "has a temperature", so LAG skips entries without one)."""
    by_patient = [F("patient_id")]
    in_time = [F("recorded_at").asc(), F("id").asc()]
    by_temperature = [
        F("patient_id"),
        ExpressionWrapper(Q(temperature_c__isnull=True), output_field=BooleanField()),
    ]
    in_baseline = Q(recorded_at__gte=F("proc_at"), recorded_at__lt=F("proc_at") + baseline_span(book))

    # PostgreSQL computes the window functions of one window (partition, order and
    # frame) in one pass: every window below is one of three, as in the raw LAG() query
    # (the patient's entries in time order; the same up to the previous entry; by
    # "has a temperature"). Each further window would be another pass over every entry.
    def before_this(expression) -> Window:
        return Window(expression, partition_by=by_patient, order_by=in_time, frame=RowRange(start=None, end=-1))

    def baseline_max(name: str) -> Window:
        # The day 0-1 entries before this one (a running maximum); a patient with none
        # (``early_entries`` 0) started logging later: ``late_start_baselines`` reads theirs.
        return before_this(Max(Case(When(in_baseline, then=F(name)))))

    return entries.annotate(latest_procedure=latest_procedures()).annotate(
        scan_order=Window(RowNumber(), partition_by=by_patient, order_by=in_time),
        proc_at=F("latest_procedure__performed_at"),
        has_deficit=_deficit(),
        prev_deficit=Window(Lag(_deficit()), partition_by=by_patient, order_by=in_time),
        prev_temp_1=Window(Lag("temperature_c", 1), partition_by=by_temperature, order_by=in_time),
        prev_temp_2=Window(Lag("temperature_c", 2), partition_by=by_temperature, order_by=in_time),
        prev_temp_2_at=Window(Lag("recorded_at", 2), partition_by=by_temperature, order_by=in_time),
        baseline_headache=baseline_max("headache"),
        baseline_back_pain=baseline_max("back_pain"),
        # Day 0-1 entries before this one. Counted up to the entry rather than over the
        # whole diary, it shares the baselines' window; it differs only for an entry
        # before or at the first day 0-1 entry, whose baseline is empty either way.
        early_entries=before_this(Count(Case(When(in_baseline, then=F("id"))))),
    )


def could_fire(book: RuleBook) -> Q:
    """Rows that may fire a pattern rule under the loosest threshold of any patient.

    Every condition names a feature annotation, so on the window path Django applies
    it after the windows (in an outer query), never before them."""
    enabled = {code for code in ALERT_CODES if code in book.defaults and book.defaults[code].enabled}
    parts = []
    if "rising_fever" in enabled:
        parts.append(
            Q(
                prev_temp_2__isnull=False,
                prev_temp_1__gt=F("prev_temp_2"),
                prev_temp_1__lt=F("temperature_c"),
                temperature_c__gte=book.loosest("rising_fever", "last_temperature_c"),
            )
            # The look-up path finds only readings inside the window (no time to compare).
            & (Q(prev_temp_2_at__isnull=True) | Q(prev_temp_2_at__gte=F("recorded_at") - fever_window(book)))
        )
    if "new_weakness" in enabled:
        parts.append(Q(has_deficit=True, prev_deficit=False))
    if "not_improving_72h" in enabled:
        rule = book.defaults["not_improving_72h"]
        pain = book.loosest("not_improving_72h", "pain_score")
        # A late starter's baseline is read after this query (``early_entries`` 0).
        parts.append(
            Q(proc_at__lte=F("recorded_at") - timedelta(hours=float(rule["after_hours"])))
            & (
                (Q(headache__gte=pain) & (Q(headache__gte=F("baseline_headache")) | Q(early_entries=0)))
                | (Q(back_pain__gte=pain) & (Q(back_pain__gte=F("baseline_back_pain")) | Q(early_entries=0)))
            )
        )
    if "late_back_pain" in enabled:
        rule = book.defaults["late_back_pain"]
        parts.append(
            Q(
                proc_at__lte=F("recorded_at") - timedelta(days=float(rule["after_day"]) + 1),
                back_pain__gte=book.loosest("late_back_pain", "back_pain"),
            )
        )
    # Always a disjunction that names a window (row numbers start at 1, so this part is
    # never true): Django then applies the whole condition after the windows, together.
    parts.append(Q(scan_order__lt=1))
    return functools.reduce(operator.or_, parts)
