"""The trend chart's drawing (issue 16, point 4): each drawing fills its box and the
newest entry, its marker and its "rise" word stay inside the picture."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from patients.trend import Spike, Trend
from patients.trend_svg import NARROW_WIDTH, WIDE_WIDTH, pain_chart, pain_charts, temperature_chart

NOW = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def trend(*, newest_at: datetime = NOW) -> Trend:
    times = [newest_at - timedelta(hours=6 * n) for n in range(8, -1, -1)]
    headache = [2, 2, 3, 3, 4, 3, 3, 3, 7]
    return Trend(
        days=14,
        start=NOW - timedelta(days=14),
        end=NOW,
        chart_start=NOW - timedelta(days=3),
        series={
            "back_pain": [(t, 2) for t in times],
            "headache": list(zip(times, headache, strict=True)),
            "temperature_c": [(t, 37.0) for t in times[:-1]] + [(times[-1], 38.6)],
        },
        spikes=[Spike(t=times[-1], field="headache", rise_from=3, to=7)],
        thresholds={"headache": 7, "temperature_c": 38.0},
        rise_points=2,
    )


def numbers(svg: str, attribute: str) -> list[float]:
    return [float(v) for v in re.findall(rf'\b{attribute}="(-?[0-9.]+)"', svg)]


def view_width(svg: str) -> float:
    return float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))


@pytest.mark.parametrize("width", [NARROW_WIDTH, WIDE_WIDTH])
def test_the_newest_entry_and_its_rise_stay_inside_the_drawing(width):
    svg = str(pain_chart(trend(), tz=NEW_YORK, width=width))
    assert view_width(svg) == width
    markers = numbers(svg, "cx") + [x + 7 for x in numbers(svg, "x") if x]  # circles; squares' right edges
    assert max(markers) <= width - 10  # the newest marker is inside the plot, off its right edge
    # The newest entry's "rise" is written to the left of its triangle, within the picture.
    rise = re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" font-size="11" text-anchor="(\w+)"[^>]*>rise</text>', svg)
    assert rise and all(float(x) <= width for x, _ in rise)
    assert rise[-1][1] == "end"


def test_an_entry_typed_a_moment_after_the_page_was_computed_is_drawn_inside():
    svg = str(temperature_chart(trend(newest_at=NOW + timedelta(minutes=5)), tz=NEW_YORK, units="C"))
    assert max(numbers(svg, "cx")) < NARROW_WIDTH - 10


def test_the_page_gets_a_narrow_and_a_wide_drawing_each_filling_its_box():
    both = str(pain_charts(trend(), tz=NEW_YORK, chart_id="t"))
    assert 'class="trend-chart trend-narrow" viewBox="0 0 330 ' in both
    assert 'class="trend-chart trend-wide" viewBox="0 0 800 ' in both
    assert both.count('width="100%"') == 2
    assert 'id="t-title"' in both and 'id="t-wide-title"' in both  # labels stay unique
