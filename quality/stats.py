"""The statistics of the quality figures: Wilson's score interval of a rate, and
percentiles as PostgreSQL's ``percentile_cont`` computes them (for SQLite, which has
no such aggregate: ``make run``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials`` (Newcombe 1998, method 3):
    unlike the textbook interval it stays inside 0..1 and is honest for small counts."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials, and trials above 0")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """The value at ``fraction`` (0..1) of sorted values, interpolated linearly between
    the two nearest ranks: PostgreSQL's ``percentile_cont``. None for no values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])
