"""Temperature units. Stored in °C with two decimals, so 100.4 °F is exactly 38.00 °C."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


def fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return ((value - 32) * 5 / 9).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def celsius_to_fahrenheit(value: Decimal) -> Decimal:
    return (value * 9 / 5 + 32).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def rounded(value: Decimal | None) -> float | None:
    """A temperature as shown: one decimal."""
    if value is None:
        return None
    return float(Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def in_units(value_c: Decimal | None, units: str) -> float | None:
    """A stored °C value in the reader's unit ("C" or "F"), one decimal."""
    if value_c is None:
        return None
    return rounded(celsius_to_fahrenheit(Decimal(value_c)) if units == "F" else Decimal(value_c))


def unit_symbol(units: str) -> str:
    return "°F" if units == "F" else "°C"
