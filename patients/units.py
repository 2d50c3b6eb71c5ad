"""Temperature units. Stored in °C with two decimals, so 100.4 °F is exactly 38.00 °C.

Shown to one decimal, never across a fever threshold (``limits_c``: the thresholds
in °C the reader's rules fire at): 37.95 °C is "37.9 °C" and "100.3 °F", since
neither "38.0 °C" nor "100.4 °F" may be shown for a temperature that is not a fever.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from portal.numbers import rounded_within_limits

TWO_PLACES = Decimal("0.01")


def fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return ((value - 32) * 5 / 9).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def celsius_to_fahrenheit(value: Decimal) -> Decimal:
    return (value * 9 / 5 + 32).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def exact_fahrenheit(value_c: Decimal) -> Decimal:
    return Decimal(value_c) * 9 / 5 + 32


def in_units(value_c: Decimal | None, units: str, limits_c: Iterable[Decimal] = ()) -> float | None:
    """A stored °C value in the reader's unit ("C" or "F") as shown: one decimal,
    never across one of the thresholds ``limits_c`` (°C)."""
    if value_c is None:
        return None
    if units == "F":
        limits = [exact_fahrenheit(limit) for limit in limits_c]
        return float(rounded_within_limits(exact_fahrenheit(value_c), 1, limits, fires_at_limit=True))
    return float(rounded_within_limits(Decimal(value_c), 1, list(limits_c), fires_at_limit=True))


def rounded(value_c: Decimal | None, limits_c: Iterable[Decimal] = ()) -> float | None:
    """A temperature in °C as shown (the API's ``temperature_c``)."""
    return in_units(value_c, "C", limits_c)


def rounded_fahrenheit(value_c: Decimal | None, limits_c: Iterable[Decimal] = ()) -> float | None:
    """The same temperature in °F as shown (the API's ``temperature_f``)."""
    return in_units(value_c, "F", limits_c)


def unit_symbol(units: str) -> str:
    return "°F" if units == "F" else "°C"
