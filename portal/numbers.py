"""Numbers as people read them, never rounded across a limit.

CLINICAL.md: what a patient sees and what a rule decides never disagree. A value is
flagged on its exact value; its display is rounded as usual unless that would put
it on a limit or on the other side of one (0.595 is not shown as the "0.60" that
counts as usual, 37.95 °C is not shown as the "38.0" that counts as a fever):
- rounded up onto or past a limit, it is rounded down instead (0.59, 37.9), as
  ranges are printed ("0.4-0.59 borderline");
- rounded down onto or past a limit (45.04 next to an upper limit of 45), or when
  rounding down does not help either, it gets more decimals ("45.04").
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

MOST_PLACES = 6


def _agrees(shown: Decimal, exact: Decimal, limits: list[Decimal]) -> bool:
    # The same side of every limit, and on a limit only when the value is on it:
    # "at least", "above" and "below" all read the same from the shown number.
    return all((shown > limit, shown == limit) == (exact > limit, exact == limit) for limit in limits)


def rounded_within_limits(exact: Decimal, places: int, limits: Iterable[Decimal | None]) -> Decimal:
    """``exact`` to ``places`` decimals (more when it must), on the same side of every limit."""
    checked = [Decimal(limit) for limit in limits if limit is not None]
    for decimals in range(places, max(places, MOST_PLACES) + 1):
        quantum = Decimal(1).scaleb(-decimals)
        usual = exact.quantize(quantum, rounding=ROUND_HALF_UP)
        if _agrees(usual, exact, checked):
            return usual
        if usual > exact:
            down = exact.quantize(quantum, rounding=ROUND_FLOOR)
            if _agrees(down, exact, checked):
                return down
    return exact
