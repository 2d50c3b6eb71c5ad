"""``{% load reader_time %}{{ moment|reader_time:"day" }}``: one way to show a stored
UTC moment, in the reader's time zone (activated for the request by
``portal.middleware.ReaderTimeZoneMiddleware``), in one of a few agreed shapes, so the
same moment never reads as two dates on two pages.

Shapes: ``day`` "2 Dec 2026", ``date`` "2 Dec", ``short`` "2 Dec, 20:08", ``weekday`` "Wed 2 Dec", ``time`` "20:08",
``moment`` "Wed 2 Dec, 20:08", ``full`` "Wed 2 Dec 2026, 20:08"."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

SHAPES = {
    "day": "j M Y",
    "date": "j M",
    "short": "j M, H:i",
    "weekday": "D j M",
    "time": "H:i",
    "moment": "D j M, H:i",
    "full": "D j M Y, H:i",
}


@register.filter
def reader_time(value: datetime | None, shape: str = "moment") -> str:
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)  # the active zone: the reader's
    return date_format(value, SHAPES.get(shape, SHAPES["moment"]))
