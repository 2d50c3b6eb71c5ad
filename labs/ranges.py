"""Reference ranges and flags: pure functions of the analyte's data, the patient's
age and sex, and the lab's own range. No threshold lives here; they are rows of
``Analyte`` (seeded from CLINICAL.md section 4, editable in admin).

Conventions:
- The lab's own range, when entered, wins: each limit it gives replaces the
  default one, and lab limits are inclusive (a lab's "0-5" counts 5 as normal).
- A default limit is inclusive unless the analyte says otherwise (CRP "< 10":
  10 itself is above the range, so a threshold fires at the boundary).
- The age/sex rule (ESR, MILLER): upper limit = (age + offset for women) ÷ divisor.
  Men and patients recorded as "other" get the lower, men's limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from labs.models import Analyte, Flag, RangeRule, RangeSource

FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ReferenceRange:
    low: Decimal | None = None
    high: Decimal | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    borderline_low: Decimal | None = None
    source: str = RangeSource.NONE

    @property
    def is_empty(self) -> bool:
        return self.low is None and self.high is None


def age_in_years(date_of_birth: date, on: date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return max(years, 0)


def reference_range(
    analyte: Analyte,
    *,
    sex: str,
    age_years: int | None,
    lab_low: Decimal | None = None,
    lab_high: Decimal | None = None,
) -> ReferenceRange:
    low, high = analyte.default_low, analyte.default_high
    low_inclusive, high_inclusive = analyte.low_inclusive, analyte.high_inclusive
    borderline_low = analyte.borderline_low
    source = RangeSource.NONE if low is None and high is None else RangeSource.DEFAULT
    if analyte.range_rule == RangeRule.AGE_SEX and age_years is not None and analyte.age_divisor:
        offset = (analyte.female_age_offset or Decimal(0)) if sex == "female" else Decimal(0)
        high = ((Decimal(age_years) + offset) / analyte.age_divisor).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
        source = RangeSource.AGE_SEX
    if lab_low is not None:
        low, low_inclusive, borderline_low = lab_low, True, None
        source = RangeSource.LAB
    if lab_high is not None:
        high, high_inclusive = lab_high, True
        source = RangeSource.LAB
    return ReferenceRange(
        low=low,
        high=high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        borderline_low=borderline_low,
        source=source,
    )


def flag_value(value: Decimal, reference: ReferenceRange) -> str:
    """ "low", "normal" or "high"; "" when there is no range to compare with."""
    if reference.is_empty:
        return ""
    if reference.low is not None and (
        value < reference.low or (value == reference.low and not reference.low_inclusive)
    ):
        return Flag.LOW
    if reference.high is not None and (
        value > reference.high or (value == reference.high and not reference.high_inclusive)
    ):
        return Flag.HIGH
    return Flag.NORMAL


def _band(value: Decimal, reference: ReferenceRange) -> bool:
    return reference.borderline_low is not None and value >= reference.borderline_low


def stored_value(exact: Decimal, reference: ReferenceRange) -> Decimal:
    """``exact`` to the four decimals a value is stored with, on the same side of every
    limit as the exact value (its flag and its borderline band), so that the stored
    number, its flag and everything shown from it agree."""
    flag, band = flag_value(exact, reference), _band(exact, reference)
    for rounding in (ROUND_HALF_UP, ROUND_FLOOR, ROUND_CEILING):
        stored = exact.quantize(FOUR_PLACES, rounding=rounding)
        if flag_value(stored, reference) == flag and _band(stored, reference) == band:
            return stored
    return exact.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)  # limits finer than four decimals


def glucose_ratio(csf_glucose: Decimal, serum_glucose: Decimal) -> Decimal:
    """CSF ÷ serum glucose, exact (to Decimal's precision): flagged as it is, rounded only to be shown."""
    return csf_glucose / serum_glucose
