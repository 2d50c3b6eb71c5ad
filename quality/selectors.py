"""The clinic's quality figures: a handful of aggregate queries over a period, the
small-numbers rule applied before anything leaves this module.

Who may read them (``may_read_quality``): clinicians an admin marked *quality*, and
admins. Nothing here returns a patient's record: counts, rates, times and means only
(and, for quality leads, feedback comments without names: ``feedback_comments``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone

from alerts.models import Alert, Severity
from patients.models import NeedleType, Patient, Procedure
from patients.selectors import day_since_procedure, latest_procedure
from portal.accounts.models import Role, User
from quality import suppression
from quality.definitions import (
    CONFIDENCE,
    FEEDBACK_FROM_DAY,
    SMALL_COUNT,
    acknowledged_at,
    blood_patch_referred,
    pdph_reported,
    reply_waits_sql,
    urgent_ack_target,
)
from quality.models import Feedback
from quality.period import Period
from quality.sql import SecondsBetween
from quality.stats import percentile_cont, wilson_interval

NEEDLE_TYPES = [NeedleType.ATRAUMATIC, NeedleType.CUTTING]
COMMENTS_SHOWN = 20
MONTHLY_UP_TO_DAYS = 731  # two years by month (24 bars); longer periods by quarter


def may_read_quality(user: User | AnonymousUser) -> bool:
    """Quality leads (clinicians an admin marked *quality*) and admins."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.role == Role.ADMIN or (user.role == Role.CLINICIAN and user.is_quality))


def may_read_feedback_comments(user: User | AnonymousUser) -> bool:
    """Quality leads only: comments are sealed like messages, and admins never read those."""
    return isinstance(user, User) and may_read_quality(user) and user.role == Role.CLINICIAN


# --- The figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """k of n, with the rate and its Wilson interval; None where the small-numbers rule hides it."""

    procedures: int | None
    count: int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class NeedleRow:
    needle_type: str
    needle_gauge: int | None  # None: every gauge of the type
    pdph: Rate
    referrals: Rate


@dataclass(frozen=True)
class TimeBucket:
    """Procedures of one month (one quarter for periods over two years)."""

    start: date
    size: str  # "month" or "quarter"
    procedures: int | None

    @property
    def label(self) -> str:
        if self.size == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start:%b %Y}"


@dataclass(frozen=True)
class UrgentAlerts:
    alerts: int | None
    acknowledged_share: float | None
    within_target_share: float | None
    target_minutes: int
    median_minutes: float | None
    p90_minutes: float | None
    escalations: int | None


@dataclass(frozen=True)
class Replies:
    messages: int | None
    answered_share: float | None
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class FeedbackFigures:
    n: int | None
    response_share: float | None
    clarity: float | None
    responsiveness: float | None


@dataclass(frozen=True)
class QualityFigures:
    period: Period
    procedures: int | None
    by_time: list[TimeBucket]
    by_needle: list[NeedleRow]
    by_needle_type: list[NeedleRow]
    pdph_ratio: float | None  # the atraumatic rate over the cutting rate
    blood_patch_referrals: int | None
    blood_patch_share: float | None
    urgent: UrgentAlerts
    replies: Replies
    feedback: FeedbackFigures
    notes: list[str] = field(default_factory=list)


def quality_figures(period: Period) -> QualityFigures:
    """Every figure of the period: seven aggregate queries (procedures by needle, with
    PDPH, referred, by month; urgent alerts; replies; feedback), whatever the number of
    rows, in one transaction without PostgreSQL's JIT (it compiles these for longer
    than they run)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _figures(period)


def _per_needle(procedures: QuerySet[Procedure]) -> dict[tuple[str, int], int]:
    rows = procedures.values("needle_type", "needle_gauge").annotate(n=Count("pk")).order_by()
    return {(row["needle_type"], row["needle_gauge"]): row["n"] for row in rows}


def _figures(period: Period) -> QualityFigures:
    procedures = Procedure.objects.filter(performed_at__gte=period.start, performed_at__lt=period.end)
    # Three counts per needle: all, with PDPH, referred. Each condition is a semi-join
    # (EXISTS in WHERE): one hash join, not a look-up per procedure.
    counts = _per_needle(procedures)
    with_pdph = _per_needle(procedures.filter(pdph_reported()))
    referred = _per_needle(procedures.filter(blood_patch_referred()))
    groups = [
        Group(kind, gauge, n, {PDPH: with_pdph.get((kind, gauge), 0), REFERRED: referred.get((kind, gauge), 0)})
        for (kind, gauge), n in sorted(counts.items())
    ]
    size, months = _months(procedures, period)
    feedback = _feedback_of(period).aggregate(
        n=Count("pk"), clarity=Avg("clarity"), responsiveness=Avg("responsiveness")
    )
    table = _procedure_counts(groups, months, feedback["n"])
    hidden = table.hidden()

    def shown(key: suppression.Key) -> int | None:
        return None if key in hidden else table.values[key]

    by_needle, by_type = _needle_rows(groups, table, hidden)
    return QualityFigures(
        period=period,
        procedures=shown(ALL),
        by_time=[TimeBucket(start=start, size=size, procedures=shown((MONTH, start))) for start, _ in months],
        by_needle=by_needle,
        by_needle_type=by_type,
        pdph_ratio=_ratio(by_type),
        blood_patch_referrals=shown((REFERRED, True)),
        blood_patch_share=_share(table, hidden, ALL, (REFERRED, True)),
        urgent=_urgent_alerts(period),
        replies=_replies(period),
        feedback=FeedbackFigures(
            n=shown((FEEDBACK, True)),
            response_share=_share(table, hidden, ALL, (FEEDBACK, True)),
            clarity=suppression.summary(feedback["n"], feedback["clarity"]),
            responsiveness=suppression.summary(feedback["n"], feedback["responsiveness"]),
        ),
    )


# --- The counts the procedure figures publish, and the sums between them ---------------------
#
# Keys: ALL (the period's procedures), (MONTH, start), (kind,) per needle type, (kind, gauge);
# (measure, True/False, ...) those with and without PDPH or a referral, per type and gauge
# (with the type or gauge after the flag); (REFERRED, True/False) and (FEEDBACK, True/False)
# of the period. A reader can add and subtract any of them: ``suppression.Counts`` hides
# what it takes so that no count under 5 comes out.

ALL = ("procedures",)
MONTH = "month"
PDPH, REFERRED, FEEDBACK = "pdph", "referred", "feedback"


@dataclass(frozen=True)
class Group:
    """The procedures of one needle type and gauge: how many, and with each measure."""

    needle_type: str
    needle_gauge: int
    n: int
    measures: dict[str, int]


def _procedure_counts(groups: list[Group], months: list[tuple[date, int]], feedback: int) -> suppression.Counts:
    """Every count of the procedure figures: per month (they add up to the period's), per
    needle type and gauge (gauges add up to their type, types to the period), with and
    without PDPH and a referral per gauge and type (a rate shows both or neither), the
    period's referrals and feedback (and the procedures without)."""
    table = suppression.Counts()
    total = table.add(ALL, sum(group.n for group in groups))
    table.total(ALL, [table.add((MONTH, start), n) for start, n in months])
    kinds = [kind for kind in NEEDLE_TYPES if any(group.needle_type == kind for group in groups)]
    of_kind = {kind: [group for group in groups if group.needle_type == kind] for kind in kinds}
    table.total(ALL, [table.add((kind,), sum(group.n for group in of_kind[kind])) for kind in kinds])
    for kind in kinds:
        table.total((kind,), [table.add((kind, group.needle_gauge), group.n) for group in of_kind[kind]])
    table.total(ALL, [(group.needle_type, group.needle_gauge) for group in groups])
    for measure in (PDPH, REFERRED):
        for kind in kinds:
            k = sum(group.measures[measure] for group in of_kind[kind])
            n = table.values[(kind,)]
            table.split((kind,), [table.add((measure, True, kind), k), table.add((measure, False, kind), n - k)])
        for group in groups:
            gauge, k = (group.needle_type, group.needle_gauge), group.measures[measure]
            table.split(
                gauge, [table.add((measure, True, *gauge), k), table.add((measure, False, *gauge), group.n - k)]
            )
        for kind in kinds:
            for flag in (True, False):
                table.total(
                    (measure, flag, kind), [(measure, flag, kind, group.needle_gauge) for group in of_kind[kind]]
                )
    referred = sum(group.measures[REFERRED] for group in groups)
    table.split(
        total, [table.add((REFERRED, True), referred), table.add((REFERRED, False), table.values[total] - referred)]
    )
    for flag in (True, False):
        table.total((REFERRED, flag), [(REFERRED, flag, kind) for kind in kinds])
    table.split(
        total, [table.add((FEEDBACK, True), feedback), table.add((FEEDBACK, False), table.values[total] - feedback)]
    )
    return table


def _share(
    table: suppression.Counts, hidden: set[suppression.Key], whole: suppression.Key, part: suppression.Key
) -> float | None:
    """part / whole when both and the rest are shown (``split`` hides part and rest together)."""
    if whole in hidden or part in hidden or not table.values[whole]:
        return None
    return table.values[part] / table.values[whole]


def _rate(table: suppression.Counts, hidden: set[suppression.Key], whole: tuple[Any, ...], measure: str) -> Rate:
    """k of n for ``whole`` (a type or a gauge): n unless hidden; k, the rate and its
    Wilson interval when the counts with and without are shown too."""
    if whole in hidden:
        return Rate(None, None, None, None, None)
    n = table.values[whole]
    with_key = (measure, True, *whole)
    rate = _share(table, hidden, whole, with_key)
    if rate is None:
        return Rate(n, None, None, None, None)
    k = table.values[with_key]
    low, high = wilson_interval(k, n, CONFIDENCE)
    return Rate(n, k, rate, low, high)


def _needle_rows(
    groups: list[Group], table: suppression.Counts, hidden: set[suppression.Key]
) -> tuple[list[NeedleRow], list[NeedleRow]]:
    """Per needle type and gauge, and per type (all gauges), as ``_procedure_counts``
    let them be shown."""
    by_needle = [
        NeedleRow(
            needle_type=group.needle_type,
            needle_gauge=group.needle_gauge,
            pdph=_rate(table, hidden, (group.needle_type, group.needle_gauge), PDPH),
            referrals=_rate(table, hidden, (group.needle_type, group.needle_gauge), REFERRED),
        )
        for group in groups
    ]
    by_type = [
        NeedleRow(
            needle_type=kind,
            needle_gauge=None,
            pdph=_rate(table, hidden, (kind,), PDPH),
            referrals=_rate(table, hidden, (kind,), REFERRED),
        )
        for kind in NEEDLE_TYPES
        if (kind,) in table.values
    ]
    return by_needle, by_type


def _ratio(by_type: list[NeedleRow]) -> float | None:
    rates = {row.needle_type: row.pdph.rate for row in by_type}
    atraumatic, cutting = rates.get(NeedleType.ATRAUMATIC), rates.get(NeedleType.CUTTING)
    if atraumatic is None or not cutting:
        return None
    return atraumatic / cutting


def _months(procedures: QuerySet[Procedure], period: Period) -> tuple[str, list[tuple[date, int]]]:
    """Procedures per month, or per quarter over two years (at most 20 bars), in the
    clinic's time zone: the size and (start, count) of each."""
    size = "quarter" if period.days > MONTHLY_UP_TO_DAYS else "month"
    trunc = TruncQuarter if size == "quarter" else TruncMonth
    rows = (
        procedures.annotate(bucket=trunc("performed_at", tzinfo=period.zone))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    )
    return size, [(_as_date(row["bucket"], period), row["n"]) for row in rows]


def _as_date(value: date | datetime, period: Period) -> date:
    """A truncated moment as the clinic's date (SQLite answers it naive, in UTC)."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value.astimezone(period.zone).date()
    return value


# Around the alerts' ``(seconds, escalated_at)`` rows (the ORM's SQL, with its parameters).
# OFFSET 0 keeps them a subquery computed once: pulled up, PostgreSQL would look each
# alert's inbox item up again for every aggregate that reads its seconds (four times).
ALERTS_SUMMARY = (
    "SELECT count(*), count(seconds), count(*) FILTER (WHERE seconds <= %s), count(escalated_at), "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) "
    "FROM ({alerts} OFFSET 0) alerts"
)


def _alerts_summary(
    alerts: QuerySet[Any],  # annotated with ``seconds`` (``_urgent_alerts``)
    target_seconds: float,
) -> tuple[dict[str, int], float | None, float | None]:
    """The counts of ``_urgent_alerts``, and the median and 90th percentile of the
    seconds to acknowledgement: one query on PostgreSQL; on SQLite (``make run``) the
    percentiles come from the sorted values, with the same interpolation."""
    names = ("n", "acknowledged", "within", "escalated")
    if connection.vendor == "postgresql":
        inner, params = alerts.values("seconds", "escalated_at").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(ALERTS_SUMMARY.replace("{alerts}", inner), [target_seconds, *params])
            *counts, median, p90 = cursor.fetchone()
        return dict(zip(names, counts, strict=True)), median, p90
    counts = alerts.aggregate(
        n=Count("pk"),
        acknowledged=Count("pk", filter=Q(seconds__isnull=False)),
        within=Count("pk", filter=Q(seconds__lte=target_seconds)),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
    )
    ordered = list(alerts.filter(seconds__isnull=False).order_by("seconds").values_list("seconds", flat=True))
    return counts, percentile_cont(ordered, 0.5), percentile_cont(ordered, 0.9)


def _urgent_alerts(period: Period) -> UrgentAlerts:
    """Urgent alerts raised in the period: seconds to the first acknowledgement
    (``definitions.acknowledged_at``; null while there is none)."""
    target = urgent_ack_target()
    alerts = (
        Alert.objects.filter(severity=Severity.URGENT, created_at__gte=period.start, created_at__lt=period.end)
        .alias(ack_at=acknowledged_at())
        .annotate(seconds=SecondsBetween(F("created_at"), F("ack_at")))
    )
    counts, median, p90 = _alerts_summary(alerts, target.total_seconds())
    acknowledged = counts["acknowledged"]
    table = _alert_counts(counts["n"], acknowledged, counts["within"], counts["escalated"])
    hidden = table.hidden()
    return UrgentAlerts(
        alerts=None if "alerts" in hidden else counts["n"],
        acknowledged_share=_share(table, hidden, "alerts", ("acknowledged", True)),
        within_target_share=_share(table, hidden, "alerts", ("within", True)),
        target_minutes=int(target.total_seconds() // 60),
        median_minutes=_scaled(suppression.summary(acknowledged, median), 60),
        p90_minutes=_scaled(suppression.summary(acknowledged, p90), 60),
        escalations=None if ("escalated", True) in hidden else counts["escalated"],
    )


def _alert_counts(n: int, acknowledged: int, within: int, escalated: int) -> suppression.Counts:
    """The urgent alerts, acknowledged or not, within the target or not, escalated or not
    (each share shows both or neither); and those acknowledged after the target, which
    the figures never show but a reader gets from two shares and the total."""
    table = suppression.Counts()
    table.add("alerts", n)
    for name, k in (("acknowledged", acknowledged), ("within", within), ("escalated", escalated)):
        table.split("alerts", [table.add((name, True), k), table.add((name, False), n - k)])
    late = table.add("acknowledged late", acknowledged - within, private=True)
    # This sum first: when the late ones are few, the share acknowledged goes, and the
    # share within the target (the figure's point) stays.
    table.total(("within", False), [late, ("acknowledged", False)])
    table.total(("acknowledged", True), [("within", True), late])
    return table


def _scaled(seconds: float | None, unit: int) -> float | None:
    return None if seconds is None else seconds / unit


# Around ``reply_waits_sql`` (no input is ever part of the SQL text: parameters only).
WAITS_SUMMARY = (
    "SELECT count(*), count(seconds), percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM ({waits}) waits"
)
WAITS_SECONDS = "SELECT seconds FROM ({waits}) waits"


def _replies(period: Period) -> Replies:
    """Patients' messages of the period that open a wait, and the seconds to the first
    reply of a clinician (``definitions.reply_waits_sql``: one pass, window functions)."""
    sql = reply_waits_sql(connection.vendor)
    params = {
        "clinician": Role.CLINICIAN,
        "start": connection.ops.adapt_datetimefield_value(period.start),
        "end": connection.ops.adapt_datetimefield_value(period.end),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(WAITS_SUMMARY.replace("{waits}", sql), params)
            n, answered, median, p90 = cursor.fetchone()
        else:
            cursor.execute(WAITS_SECONDS.replace("{waits}", sql), params)
            values = [row[0] for row in cursor.fetchall()]
            ordered = sorted(v for v in values if v is not None)
            n, answered = len(values), len(ordered)
            median, p90 = percentile_cont(ordered, 0.5), percentile_cont(ordered, 0.9)
    return Replies(
        messages=suppression.count(n),
        answered_share=suppression.share(answered, n),
        median_hours=_scaled(suppression.summary(answered, median), 3600),
        p90_hours=_scaled(suppression.summary(answered, p90), 3600),
    )


def _feedback_of(period: Period) -> QuerySet[Feedback]:
    """Feedback belongs to the procedure it follows: the period's procedures."""
    return Feedback.objects.filter(procedure__performed_at__gte=period.start, procedure__performed_at__lt=period.end)


def feedback_comments(period: Period, *, limit: int = COMMENTS_SHOWN) -> list[Feedback]:
    """The period's newest comments, newest first, when the period has 5 or more (fewer
    could point at someone, and the list's length would be a count under 5): one query
    for at most ``limit`` rows. For quality leads only; each row is read through
    ``Feedback.comment`` (the caller audits the read)."""
    rows = list(
        _feedback_of(period).exclude(comment_sealed=b"").order_by("-created_at", "-pk")[: max(limit, SMALL_COUNT)]
    )
    return rows[:limit] if len(rows) >= SMALL_COUNT else []


# --- A patient's own feedback --------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackState:
    """Where the patient stands with feedback on their latest procedure."""

    procedure: Procedure | None
    given: Feedback | None

    @property
    def available_from(self) -> datetime | None:
        return feedback_opens_at(self.procedure) if self.procedure is not None else None

    @property
    def due(self) -> bool:
        if self.procedure is None or self.given is not None:
            return False
        day = day_since_procedure(self.procedure)
        return day is not None and day >= FEEDBACK_FROM_DAY


def feedback_opens_at(procedure: Procedure) -> datetime:
    """Day 3 begins: whole days since the procedure, as "day N" counts them."""
    return procedure.performed_at + timedelta(days=FEEDBACK_FROM_DAY)


def feedback_state(patient: Patient) -> FeedbackState:
    procedure = latest_procedure(patient)
    given = Feedback.objects.filter(procedure=procedure).first() if procedure is not None else None
    return FeedbackState(procedure=procedure, given=given)
