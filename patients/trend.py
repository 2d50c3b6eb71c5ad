"""The diary trend: back pain, headache and temperature over N days, with the
threshold lines and the spikes (CLINICAL.md ``score_rise``: a score at least 2
points above the lowest value of the same score in the previous 24 hours, and
higher than the entry before it).

Entries marked "entered in error" are left out. The values that define a line or
a spike are the alert rules' (``patients.clinical.chart_values``), with the
patient's own values where the care team set them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from patients.clinical import SCORE_RISE_POINTS, SCORE_RISE_WINDOW_HOURS, chart_values
from patients.models import Patient
from patients.selectors import symptom_entries
from patients.services import BEFORE_PROCEDURE_ALLOWANCE

TREND_FIELDS = ("back_pain", "headache", "temperature_c")
SPIKE_FIELDS = ("back_pain", "headache")  # score_rise applies to the 0-10 scores
DAY_CHOICES = (7, 14, 30)
DEFAULT_DAYS = 14
MAX_DAYS = 90


@dataclass
class Spike:
    t: datetime
    field: str
    rise_from: int
    to: int

    def as_dict(self) -> dict:
        return {"t": self.t, "field": self.field, "from": self.rise_from, "to": self.to}


@dataclass
class Trend:
    days: int
    start: datetime
    end: datetime
    series: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    spikes: list[Spike] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    rise_points: float = 0.0
    # Where a chart's time axis starts: the window's start, or the earliest moment a
    # diary entry can have (a day before the first procedure) when that is later.
    chart_start: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not any(self.series.values())


def find_spikes(
    points: list[tuple[datetime, int]], *, field_name: str, rise: Decimal, window: timedelta
) -> list[Spike]:
    """Spikes in one score's points (oldest first), as ``score_rise`` fires: each point
    at least ``rise`` above the lowest of the points in the window before it and higher
    than the point just before it (a falling score is never a spike); the first
    compares with nothing."""
    spikes = []
    for index, (moment, value) in enumerate(points):
        earlier = [v for t, v in points[:index] if moment - window <= t < moment]
        if earlier and value - min(earlier) >= rise and value > earlier[-1]:
            spikes.append(Spike(t=moment, field=field_name, rise_from=min(earlier), to=value))
    return spikes


def symptom_trend(patient: Patient, *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Trend:
    """The trend of the last ``days`` days, in three queries (the alert rules'
    thresholds, entries, first procedure)."""
    now = now or timezone.now()
    chart = chart_values(patient)
    window = timedelta(hours=chart[SCORE_RISE_WINDOW_HOURS])
    rise = Decimal(str(chart[SCORE_RISE_POINTS]))
    start = now - timedelta(days=days)
    # Entries from one window earlier, so a spike on the first charted day is judged
    # against the day before it.
    rows = list(
        symptom_entries(patient, since=start - window, until=now, include_entered_in_error=False)
        .order_by("recorded_at", "id")
        .values_list("recorded_at", "back_pain", "headache", "temperature_c")
    )
    trend = Trend(
        days=days,
        start=start,
        end=now,
        thresholds={name: chart[name] for name in ("temperature_c", "back_pain", "headache")},
        rise_points=float(rise),
        chart_start=start,
    )
    first_procedure = patient.procedures.order_by("performed_at").values_list("performed_at", flat=True).first()
    if first_procedure is not None:
        trend.chart_start = min(max(start, first_procedure - BEFORE_PROCEDURE_ALLOWANCE), now - timedelta(hours=6))
    scores = {"back_pain": [(r[0], r[1]) for r in rows], "headache": [(r[0], r[2]) for r in rows]}
    for name in SPIKE_FIELDS:
        trend.series[name] = [(t, v) for t, v in scores[name] if t >= start]
        trend.spikes.extend(
            s for s in find_spikes(scores[name], field_name=name, rise=rise, window=window) if s.t >= start
        )
    trend.series["temperature_c"] = [(r[0], float(r[3])) for r in rows if r[0] >= start and r[3] is not None]
    trend.spikes.sort(key=lambda s: (s.t, s.field))
    return trend


def parse_days(raw: str | None) -> int:
    """``days`` from a query string; raises ValueError for anything but 1..MAX_DAYS."""
    if raw in (None, ""):
        return DEFAULT_DAYS
    days = int(raw)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(days)
    return days
