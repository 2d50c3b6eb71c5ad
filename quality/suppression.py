"""The small-numbers rule, in one place: no count under ``SMALL_COUNT`` leaves the
quality figures (page, CSV, API), nor any rate, mean or time it could be read back
from, nor any count that can be worked out from the ones shown.

- ``count(k)``: a count standing alone, or None under 5.
- ``share(k, n)``: k / n, or None unless both k and n - k are at least 5 (a share and
  its total give away both counts).
- ``summary(n, value)``: a mean, median or percentile over n values, or None under 5.
- ``Counts``: counts published together and the sums that tie them (a total and its
  parts: procedures per month and per needle add up to the period's). ``hidden()``
  hides every count under 5 (primary suppression) and then, smallest first, as many
  others as it takes (complementary suppression) so that from the shown counts and
  those sums no hidden count under 5 can be worked out, nor a sum of hidden parts
  under 5. Checked exactly: a hidden count is known when its unit vector lies in the
  row space of the sums restricted to the hidden counts (integer elimination).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from math import gcd

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


Key = Hashable
Vector = dict[Key, int]


class Counts:
    """Counts, the sums between them, and which to hide.

    ``add(key, value)``: a count the figures publish; ``add(..., private=True)``: one
    they never publish but a reader can work out (alerts acknowledged after the
    target: acknowledged minus within it), hidden from the start and protected the
    same way when under 5. ``total(whole, parts)``: whole = the sum of the parts.
    ``split(whole, parts)``: the same, and the parts are shown together and only
    beside their whole (a rate shows k and n - k of its n, or neither).
    """

    def __init__(self) -> None:
        self.values: dict[Key, int] = {}
        self.private: set[Key] = set()
        self.sums: list[tuple[Key, tuple[Key, ...]]] = []
        self.bundles: list[tuple[Key, tuple[Key, ...]]] = []
        self._order: dict[Key, int] = {}

    def add(self, key: Key, value: int, *, private: bool = False) -> Key:
        self._order.setdefault(key, len(self._order))
        self.values[key] = value
        if private:
            self.private.add(key)
        return key

    def total(self, whole: Key, parts: Iterable[Key]) -> None:
        self.sums.append((whole, tuple(parts)))

    def split(self, whole: Key, parts: Sequence[Key]) -> None:
        self.total(whole, parts)
        self.bundles.append((whole, tuple(parts)))

    # --- Which to hide --------------------------------------------------------------------

    def hidden(self) -> set[Key]:
        hidden = {key for key, value in self.values.items() if value < SMALL_COUNT} | self.private
        while True:
            self._close(hidden)
            leak = self._leak(hidden)
            if leak is None:
                return hidden
            more = self._breaker(leak, hidden)
            if more is None:  # nothing left to hide around it: hide everything
                return set(self.values)
            self._hide(hidden, more)

    def _cost(self, key: Key) -> tuple[int, int]:
        """Hide the smallest count first; of equal ones, the more detailed (added later)."""
        return self.values[key], -self._order[key]

    def _protects(self, key: Key) -> bool:
        """A hidden count that must not be worked out: under 5, or published (hidden to
        protect one under 5). A private count of 5 or more may be known."""
        return key not in self.private or self.values[key] < SMALL_COUNT

    def _hide(self, hidden: set[Key], key: Key) -> None:
        """Hide ``key``, and with it the rest of its bundles (to a fixed point)."""
        hidden.add(key)
        changed = True
        while changed:
            changed = False
            for whole, parts in self.bundles:
                if (whole in hidden or any(part in hidden for part in parts)) and not all(p in hidden for p in parts):
                    hidden.update(parts)
                    changed = True

    def _close(self, hidden: set[Key]) -> None:
        """The local rules, to a fixed point: a bundle is hidden whole; no sum has a
        single unknown that must stay unknown; the hidden parts beside a shown whole
        add up to 5 or more."""
        for key in list(hidden):
            self._hide(hidden, key)
        changed = True
        while changed:
            changed = False
            for whole, parts in self.sums:
                members = [whole, *parts]
                unknown = [key for key in members if key in hidden]
                hidden_parts = [part for part in parts if part in hidden]
                lone = len(unknown) == 1 and self._protects(unknown[0])
                small_rest = (
                    whole not in hidden
                    and hidden_parts
                    and sum(self.values[part] for part in hidden_parts) < SMALL_COUNT
                )
                if lone or small_rest:
                    shown = [part for part in parts if part not in hidden] or [k for k in members if k not in hidden]
                    if shown:
                        self._hide(hidden, min(shown, key=self._cost))
                        changed = True

    def _leak(self, hidden: set[Key]) -> Vector | None:
        """A sum of hidden counts under 5 that the shown counts determine: a single
        count, or the hidden parts of one sum; None when there is none."""
        candidates: list[Vector] = [{key: 1} for key in hidden if self.values[key] < SMALL_COUNT]
        for _, parts in self.sums:
            hidden_parts = sorted({part for part in parts if part in hidden}, key=self._order.__getitem__)
            if len(hidden_parts) > 1 and sum(self.values[part] for part in hidden_parts) < SMALL_COUNT:
                candidates.append(dict.fromkeys(hidden_parts, 1))
        if not candidates:
            return None
        basis = self._basis(hidden)
        return next((vector for vector in candidates if not _reduce(vector, basis)), None)

    def _breaker(self, leak: Vector, hidden: set[Key]) -> Key | None:
        """The cheapest shown count next to the leak (in a sum with one of its counts)
        whose hiding stops the leak; else the cheapest next to it."""
        near = {
            key
            for whole, parts in self.sums
            if whole in leak or any(part in leak for part in parts)
            for key in (whole, *parts)
            if key not in hidden
        }
        if not near:
            return None
        stops = [key for key in near if _reduce(leak, self._basis(hidden | {key}))]
        return min(stops or near, key=self._cost)

    def _basis(self, hidden: set[Key]) -> list[tuple[Key, Vector]]:
        """The sums as equations in the hidden counts (the shown ones are constants), in
        echelon form: (pivot, row) pairs, each row free of the earlier pivots."""
        basis: list[tuple[Key, Vector]] = []
        for whole, parts in self.sums:
            row: Vector = {}
            for key, coefficient in ((whole, 1), *((part, -1) for part in parts)):
                if key in hidden:
                    row[key] = row.get(key, 0) + coefficient
            row = _reduce({key: c for key, c in row.items() if c}, basis)
            if row:
                basis.append((min(row, key=self._order.__getitem__), row))
        return basis


def _reduce(vector: Vector, basis: list[tuple[Key, Vector]]) -> Vector:
    """``vector`` less its part in the basis's span (empty: it lies in the span, so
    its value is determined by the shown counts)."""
    vector = dict(vector)
    for pivot, row in basis:
        a = vector.get(pivot, 0)
        if not a:
            continue
        b = row[pivot]
        keys = vector.keys() | row.keys()
        vector = {key: vector.get(key, 0) * b - row.get(key, 0) * a for key in keys}
        vector = {key: c for key, c in vector.items() if c}
        divisor = 0
        for c in vector.values():
            divisor = gcd(divisor, c)
        if divisor > 1:
            vector = {key: c // divisor for key, c in vector.items()}
    return vector
