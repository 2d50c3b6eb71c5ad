"""The clinic's own settings: who patients call, when the clinic is open, who is on call.

One row (``ClinicSettings``, primary key 1), edited by admins in Django admin; its first
values come from the environment (README, Configuration). ``OpeningHours`` holds one
row per weekday the clinic is open. Everything that tells a patient whom to call or
when to expect an answer reads these rows (``portal.clinic.selectors``), never a literal.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{1,28}[0-9]$")
DIALABLE_PATTERN = re.compile(r"^[0-9]{2,6}$")


def validate_phone(value: str) -> None:
    if value and not PHONE_PATTERN.match(value):
        raise ValidationError("Give a phone number of digits, spaces, brackets or dashes, optionally starting with +.")


def validate_emergency_number(value: str) -> None:
    if not DIALABLE_PATTERN.match(value or ""):
        raise ValidationError("Give the emergency number as 2 to 6 digits, for example 911 or 112.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


def parse_closed_days(text: str, *, strict: bool = True) -> frozenset[date]:
    """The dates of ``ClinicSettings.closed_days``: one a line, ``YYYY-MM-DD`` and an
    optional note after it; blank lines are skipped. ValueError names a bad line
    (``strict=False`` skips it: the pages that read the clinic never fail on it)."""
    days = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        first = line.split(maxsplit=1)[0] if line.strip() else ""
        if not first:
            continue
        try:
            days.add(date.fromisoformat(first))
        except ValueError:
            if strict:
                raise ValueError(f"Line {number}: give the date as YYYY-MM-DD, for example 2026-12-25.") from None
    return frozenset(days)


def validate_closed_days(value: str) -> None:
    try:
        parse_closed_days(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class ClinicSettings(models.Model):
    """The clinic: one row. Read through ``portal.clinic.selectors.current_clinic``."""

    SINGLETON_ID = 1

    name = models.CharField(max_length=120)
    phone = models.CharField(
        max_length=30,
        blank=True,
        validators=[validate_phone],
        help_text="The clinic's phone number patients call (shown as a tap-to-call link).",
    )
    emergency_number = models.CharField(
        max_length=6,
        default="911",
        validators=[validate_emergency_number],
        help_text="The local emergency number every urgent instruction names first.",
    )
    oncall_email = models.EmailField(
        blank=True,
        help_text="Alerts of patients without an active care team, and urgent escalations, are emailed here.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The time zone of the opening hours below.",
    )
    message_response_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Opening hours within which the clinic answers a normal message. Blank: no time is promised.",
    )
    red_flag_response_hours = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="A message that mentions a red flag is due within this many hours, open or closed.",
    )
    # Kept on the row (not a table of its own): every page reads the clinic, and the
    # closed days come with it in the same query.
    closed_days = models.TextField(
        blank=True,
        validators=[validate_closed_days],
        help_text=(
            "Days the clinic is closed although the opening hours say open (public holidays): one a line, "
            "YYYY-MM-DD and an optional note, e.g. '2026-12-25 Christmas Day'. Normal inbox items are not due "
            "on these days; high and urgent ones are due as always."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="clinic_settings_single_row")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """The clinic is open on ``weekday`` from ``opens`` to ``closes`` (clinic time zone)."""

    clinic = models.ForeignKey(ClinicSettings, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="one_opening_per_weekday"),
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="opens_before_closes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": ["The clinic must close after it opens."]})
