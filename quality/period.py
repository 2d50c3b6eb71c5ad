"""The period of the quality figures: ``from`` and ``to`` (dates, both included, in the
clinic's time zone), checked once for the page, the CSV downloads and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

MAX_YEARS = 5
DEFAULT_MONTHS = 12
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def query(self) -> str:
        return f"from={self.first_day.isoformat()}&to={self.last_day.isoformat()}"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _parse(name: str, raw: str | None, errors: dict[str, list[str]]) -> date | None:
    if raw is None or raw == "":  # sent empty, as an HTML form does: not sent
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if not ISO_DATE.match(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = ["Give a date as YYYY-MM-DD, for example 2026-01-31."]
        return None
    if not EARLIEST <= day <= LATEST:
        errors[name] = [f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."]
        return None
    return day


def parse_period(raw_from: str | None, raw_to: str | None, *, today: date, zone: ZoneInfo) -> Period:
    """The period asked for; by default the 12 months up to today. 400s name the parameter:
    an unparseable date, ``from`` after ``to``, a period over 5 years."""
    errors: dict[str, list[str]] = {}
    first_day = _parse("from", raw_from, errors)
    last_day = _parse("to", raw_to, errors)
    if errors:
        raise ValidationError(errors)
    last_day = last_day or today
    first_day = first_day or years_before(last_day, DEFAULT_MONTHS // 12) + timedelta(days=1)
    if first_day > last_day:
        raise ValidationError({"from": ["The period starts after it ends: choose a 'from' on or before 'to'."]})
    if first_day <= years_before(last_day, MAX_YEARS):
        raise ValidationError({"from": [f"Choose a period of at most {MAX_YEARS} years from 'from' to 'to'."]})
    return Period(first_day=first_day, last_day=last_day, zone=zone)
