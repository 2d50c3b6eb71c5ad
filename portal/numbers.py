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


def _agrees(shown: Decimal, exact: Decimal, limits: list[Decimal], *, fires_at_limit: bool) -> bool:
    if fires_at_limit:
        # Thresholds that fire at the limit (>=): only "at or above" has to read the same.
        return all((shown >= limit) == (exact >= limit) for limit in limits)
    # Limits of any kind (a range's inclusive or exclusive ends): the same side of
    # every limit, and on a limit only when the value is on it.
    return all((shown > limit, shown == limit) == (exact > limit, exact == limit) for limit in limits)


def rounded_within_limits(
    exact: Decimal, places: int, limits: Iterable[Decimal | None], *, fires_at_limit: bool = False
) -> Decimal:
    """``exact`` to ``places`` decimals (more when it must), on the same side of every
    limit. ``fires_at_limit``: every limit is a threshold that fires at it (CLINICAL.md
    conventions, ``>=``), so 38.04 may show as "38.0" next to a fever threshold of 38.0."""
    checked = [Decimal(limit) for limit in limits if limit is not None]
    for decimals in range(places, max(places, MOST_PLACES) + 1):
        quantum = Decimal(1).scaleb(-decimals)
        usual = exact.quantize(quantum, rounding=ROUND_HALF_UP)
        if _agrees(usual, exact, checked, fires_at_limit=fires_at_limit):
            return usual
        if usual > exact:
            down = exact.quantize(quantum, rounding=ROUND_FLOOR)
            if _agrees(down, exact, checked, fires_at_limit=fires_at_limit):
                return down
    return exact
