"""Input checks shared by the services: strict types, plain messages, and the
time rules (not in the future, not before the procedure minus one day)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from patients.models import (
    Patient,
    Procedure,
)
from portal.validation import FieldErrors

# A phone's clock may run a little ahead of the server's: "not in the future" allows this.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=2)
# API.md: an entry may be up to one day before the procedure (symptoms the evening before).
BEFORE_PROCEDURE_ALLOWANCE = timedelta(days=1)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


# --- Parsing helpers: strict types, plain messages -------------------------------------


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def whole_number(value: Any) -> int | None:
    """An int from an int or a string of digits; None for anything else (bools, 3.5)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # Length-capped: int() refuses strings of thousands of digits (a ValueError, a 500).
    if isinstance(value, str) and len(value) <= 20 and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def decimal_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | Decimal):
        result = Decimal(str(value))
    elif isinstance(value, str) and len(value) <= 20:
        try:
            result = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            return None
    else:
        return None
    # No number the diary asks for is anywhere near a million; far larger ones would
    # overflow the unit conversion's rounding (a decimal.InvalidOperation, a 500).
    return result if result.is_finite() and abs(result) < 1_000_000 else None


def yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    if value is None:
        return False
    return None


def parse_moment(value: Any, *, time_zone: str) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string; a time without a
    zone is read in the person's own time zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo(time_zone))
    # In UTC: Python reads offsets up to ±23:59, PostgreSQL stores at most ±15:59 (a 500).
    return moment.astimezone(UTC)


def first_procedure(patient: Patient) -> Procedure | None:
    # The earliest procedure bounds the diary: entries between two procedures stay valid.
    return patient.procedures.order_by("performed_at").first()


def check_moment(
    errors: FieldErrors, field: str, value: Any, *, patient: Patient, now: datetime, what: str
) -> datetime | None:
    if value is None:  # left out: now ("" is not a time: the web forms send None for an empty field)
        return now
    moment = parse_moment(value, time_zone=patient.user.time_zone)
    if moment is None:
        errors.add(field, f"Enter the {what} as a date and time, for example 2026-11-23T08:00:00Z.")
        return None
    if moment > now + CLOCK_SKEW_ALLOWANCE:
        errors.add(field, f"The {what} is in the future. Check the date and time.")
        return None
    procedure = first_procedure(patient)
    if procedure is not None and moment < procedure.performed_at - BEFORE_PROCEDURE_ALLOWANCE:
        errors.add(field, f"The {what} is more than a day before your procedure. Check the date.")
        return None
    return moment
