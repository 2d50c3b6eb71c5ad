"""Reads of the clinic's settings: whom to call, when the clinic is open.

``current_clinic()`` answers a plain frozen value, so templates, the rule texts and
the routing read the same facts. Before an admin has saved the settings (a fresh
database), the values come from the environment (README, Configuration).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings

from portal.clinic.models import ClinicSettings, parse_closed_days


@dataclass(frozen=True)
class Opening:
    weekday: int  # Monday 0 .. Sunday 6, as datetime.weekday()
    opens: time
    closes: time


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    emergency_number: str
    oncall_email: str
    time_zone: str
    opening_hours: tuple[Opening, ...]
    message_response_hours: int | None
    red_flag_response_hours: int
    # Public holidays and other days closed although the opening hours say open.
    closed_days: frozenset[date] = frozenset()

    def _openings_on(self, day: date) -> list[Opening]:
        if day in self.closed_days:
            return []
        return [o for o in self.opening_hours if o.weekday == day.weekday()]

    @property
    def phone_href(self) -> str:
        """``tel:`` target of the clinic's phone: digits and a leading + only."""
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")

    @property
    def emergency_href(self) -> str:
        return f"tel:{self.emergency_number}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (aware) falls inside the opening hours."""
        local = at.astimezone(self.zone)
        return any(o.opens <= local.time() < o.closes for o in self._openings_on(local.date()))

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment at or after ``at`` when the clinic is open (``at`` itself
        when open); None when the clinic has no opening hours at all."""
        if not self.opening_hours:
            return None
        if self.is_open(at):
            return at
        local = at.astimezone(self.zone)
        for days in range(MAX_DAYS_AHEAD):
            day = (local + timedelta(days=days)).date()
            for opening in self._openings_on(day):
                start = datetime.combine(day, opening.opens, tzinfo=self.zone)
                if start >= local:
                    return start.astimezone(at.tzinfo)
        return None

    def next_business_day(self, at: datetime) -> datetime | None:
        """When "the next business day" after ``at`` comes: the same clock time on the
        first opening day after ``at``'s day (clinic time; closed days skipped), kept
        inside that day's opening hours (06:00 becomes its opening, 20:00 its closing).
        Friday evening and the weekend give Monday. None when the clinic has no
        opening hours."""
        if not self.opening_hours:
            return None
        local = at.astimezone(self.zone)
        for days in range(1, MAX_DAYS_AHEAD):
            day = (local + timedelta(days=days)).date()
            for opening in self._openings_on(day):
                clock = min(max(local.time().replace(tzinfo=None), opening.opens), opening.closes)
                return datetime.combine(day, clock, tzinfo=self.zone).astimezone(at.tzinfo)
        return None

    def after_opening_hours(self, at: datetime, hours: float) -> datetime | None:
        """The moment ``hours`` of opening time after ``at`` (closed time does not
        count); None when the clinic has no opening hours at all."""
        left = timedelta(hours=hours)
        moment = at
        for _ in range(8 * 7 * 24):  # bounded: at most a year of weeks of openings
            start = self.next_opening(moment)
            if start is None:
                return None
            local = start.astimezone(self.zone)
            closes = next(
                datetime.combine(local.date(), o.closes, tzinfo=self.zone)
                for o in self._openings_on(local.date())
                if o.opens <= local.time() < o.closes
            )
            if closes - local >= left:
                return (local + left).astimezone(at.tzinfo)
            left -= closes - local
            moment = closes.astimezone(at.tzinfo)
        return None


def _defaults() -> Clinic:
    return Clinic(
        name=settings.AFTERCARE_CLINIC_NAME,
        phone=settings.AFTERCARE_CLINIC_PHONE,
        emergency_number=settings.AFTERCARE_EMERGENCY_NUMBER,
        oncall_email=settings.AFTERCARE_ONCALL_EMAIL,
        time_zone=settings.AFTERCARE_CLINIC_TIME_ZONE,
        opening_hours=DEFAULT_OPENING_HOURS,
        message_response_hours=None,
        red_flag_response_hours=4,
    )


# How far ahead to look for an opening: a week, and the closed days of a long holiday.
MAX_DAYS_AHEAD = 22
# Monday to Friday, 08:00-17:00 in the clinic's time zone, until an admin says otherwise.
DEFAULT_OPENING_HOURS = tuple(Opening(weekday=day, opens=time(8), closes=time(17)) for day in range(5))


def current_clinic() -> Clinic:
    """The clinic's settings as saved by an admin, else the environment's defaults."""
    row = ClinicSettings.objects.filter(pk=ClinicSettings.SINGLETON_ID).prefetch_related("opening_hours").first()
    if row is None:
        return _defaults()
    return Clinic(
        name=row.name,
        phone=row.phone,
        emergency_number=row.emergency_number,
        oncall_email=row.oncall_email,
        time_zone=row.time_zone,
        opening_hours=tuple(Opening(o.weekday, o.opens, o.closes) for o in row.opening_hours.all()),
        message_response_hours=row.message_response_hours,
        red_flag_response_hours=row.red_flag_response_hours,
        closed_days=parse_closed_days(row.closed_days, strict=False),
    )
