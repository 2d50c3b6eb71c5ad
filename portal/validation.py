"""Reading raw request values inside a service: the one place input is validated.

The API hands a service the request's values as they arrived (JSON types, or the
strings of a form); the service checks type and content together and raises
``ValidationError({"field": [message]})``, which the API answers as a 400 naming
the field (``portal.api.exception_handler``) and a page shows beside the field.
The API's request serializers only describe the shape for the OpenAPI schema;
tests/portal/test_schema_honesty.py keeps the two in step.

The words are the ones the API has always answered with for these cases (DRF's,
where its serializers used to answer first), so the HTTP contract stays the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_TEXT = "Not a valid string."
NOT_INTEGER = "A valid integer is required."
NOT_A_LIST = "Send a list."
DATETIME_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


# A field the request did not send at all (a PATCH leaves it as it is), as against
# one sent as null.
NOT_SENT: Any = object()


class FieldErrors(dict[str, list[str]]):
    """Every problem of one request, each under its field; raised at once."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def take(self, exc: ValidationError) -> None:
        """Add the fields of another check's ValidationError."""
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add(field, message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def too_long(limit: int) -> str:
    return f"Ensure this field has no more than {limit} characters."


def text(value: object, *, field: str, max_length: int, required: bool = False, strip: bool = True) -> str:
    """A text field, at most ``max_length`` characters (stripped unless ``strip`` is
    false: a password is taken as typed).

    ``required``: left out (None) or blank is refused; else both read as ""."""
    if value is None or value is NOT_SENT:
        if required:
            raise ValidationError({field: [REQUIRED]})
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: [NOT_TEXT]})
    if strip:
        value = value.strip()
    if required and not value:
        raise ValidationError({field: [BLANK]})
    if len(value) > max_length:
        raise ValidationError({field: [too_long(max_length)]})
    return value


def object_id(value: object, *, field: str) -> int:
    """The id of an object named in a request body: a positive whole number (a JSON
    number, or digits as a form sends them)."""
    if isinstance(value, bool):
        raise ValidationError({field: [NOT_INTEGER]})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and 0 < len(value.strip()) <= 18 and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValidationError({field: [REQUIRED if value is None else NOT_INTEGER]})
    if number < 1:
        raise ValidationError({field: ["Ensure this value is greater than or equal to 1."]})
    return number


def moment(value: object, *, field: str) -> datetime | None:
    """A point in time: a datetime, or an ISO 8601 string (a time without a zone is
    read in the reader's zone, as the API always has). None when left out."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value  # from code or a page's form: the caller checks its zone
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError({field: [DATETIME_FORMAT]})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # In UTC: Python reads offsets up to ±23:59, PostgreSQL stores at most ±15:59.
    return parsed.astimezone(UTC)


def id_or_404(value: object) -> int:
    """The id of an object a URL or query names, as ``int()`` reads it; anything that
    is no id (None, "abc", "") is a 404, as a missing object is."""
    if isinstance(value, int | str | float):
        try:
            return int(value)
        except (ValueError, OverflowError):
            pass
    raise Http404
