"""The small-numbers rule, in one place: no count under ``SMALL_COUNT`` leaves the
quality figures (page, CSV, API), nor any rate, mean or time it could be read back
from. Every figure goes through these four functions.

- ``count(k)``: a count, or None under 5.
- ``share(k, n)``: k / n, or None unless both k and n - k are at least 5 (a share and
  its total give away both counts).
- ``summary(n, value)``: a mean, median or percentile over n values, or None under 5.
- ``hidden_cells(counts)``: which cells of a breakdown to hide when its total is
  published: each under 5, then the smallest others until the hidden cells add up to
  5 or more (else the total minus the shown cells would give a small one away).
- ``shares_shown_beside_total(cells, shown)``: the same for k-of-n cells whose total
  k of n is published: more of the smallest are hidden until the hidden ones hold 5
  or more of each kind (k and n - k).
"""

from __future__ import annotations

from collections.abc import Sequence

from quality.definitions import SMALL_COUNT


def count(k: int | None) -> int | None:
    if k is None or k < SMALL_COUNT:
        return None
    return k


def share(k: int, n: int) -> float | None:
    if n <= 0 or k < SMALL_COUNT or n - k < SMALL_COUNT:
        return None
    return k / n


def summary(n: int, value: float | None) -> float | None:
    if n < SMALL_COUNT or value is None:
        return None
    return value


def hidden_cells(counts: Sequence[int]) -> list[bool]:
    hidden = [k < SMALL_COUNT for k in counts]
    while any(hidden) and not all(hidden) and sum(k for k, h in zip(counts, hidden, strict=True) if h) < SMALL_COUNT:
        smallest = min((i for i, h in enumerate(hidden) if not h), key=lambda i: counts[i])
        hidden[smallest] = True
    return hidden


def shares_shown_beside_total(cells: Sequence[tuple[int, int]], shown: Sequence[bool]) -> list[bool]:
    """``cells``: (n, k) of each part; ``shown``: whose k the rule above lets through."""
    shown = list(shown)

    def hidden_sums() -> tuple[int, int]:
        parts = [(n, k) for (n, k), s in zip(cells, shown, strict=True) if not s]
        return sum(k for _, k in parts), sum(n - k for n, k in parts)

    while any(shown) and not all(shown) and min(hidden_sums()) < SMALL_COUNT:
        smallest = min((i for i, s in enumerate(shown) if s), key=lambda i: cells[i][0])
        shown[smallest] = False
    return shown
