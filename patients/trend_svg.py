"""The trend chart as server-side SVG: no JavaScript, no CDN, readable on a phone
and without colour. Each series has its own line style and marker shape, the
threshold lines carry a text label, and every spike is a triangle with the
word "rise" beside it. The same numbers are offered as a table next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString, mark_safe

from patients.trend import Trend
from patients.units import in_units, unit_symbol

# Two drawings of the same chart (in SVG units), the page shows the one that fits
# its box (patients.css): a narrow one, so that on a 390 px phone the text renders
# near full size, and a wide one that fills a desktop's card at about the same text
# size (a single narrow drawing stretched to a 1,150 px card would be 730 px tall, so
# it was capped at 60 % of the card).
NARROW_WIDTH = 330
WIDE_WIDTH = 800
LEFT, RIGHT, TOP, BOTTOM = 30, 12, 30, 30
# Room after the newest entry (a share of the days shown), so its marker and its
# "rise" triangle sit inside the plot instead of on its right edge.
HEADROOM = 0.03
# Day labels are about 30 units wide: at least this far apart.
MIN_TICK_SPACING = 40
RISE_LABEL_WIDTH = 28
PAIN_HEIGHT = 210
TEMPERATURE_HEIGHT = 180
SERIES_STYLE = {
    # field: (label, colour, dash pattern, marker shape)
    "back_pain": ("Back pain", "#0b6e69", "", "circle"),
    "headache": ("Headache", "#6a3d9a", "6 4", "square"),
    "temperature_c": ("Temperature", "#8a4b08", "", "circle"),
}
THRESHOLD_COLOUR = "#a1141c"
AXIS_COLOUR = "#51646a"
GRID_COLOUR = "#d5dfe1"


@dataclass
class Frame:
    start: datetime
    end: datetime
    low: float
    high: float
    height: int
    width: int = NARROW_WIDTH

    @property
    def right(self) -> float:
        return self.width - RIGHT

    @property
    def plot_width(self) -> float:
        return self.width - LEFT - RIGHT

    @property
    def plot_height(self) -> float:
        return self.height - TOP - BOTTOM

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1
        return round(LEFT + self.plot_width * (moment - self.start).total_seconds() / span, 1)

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return round(TOP + self.plot_height * (1 - (value - self.low) / span), 1)


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: int = 11,
    weight: str = "normal",
    fill: str = AXIS_COLOUR,
    halo: bool = False,
) -> str:
    # A white halo keeps a label readable where it crosses a line or a marker.
    halo_attrs = ' stroke="#fff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"' if halo else ""
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
        f'fill="{fill}"{halo_attrs}>{escape(content)}</text>'
    )


def _marker(shape: str, x: float, y: float, colour: str, *, filled: bool = True) -> str:
    fill = colour if filled else "#fff"
    if shape == "square":
        return f'<rect x="{x - 3.5}" y="{y - 3.5}" width="7" height="7" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
    if shape == "diamond":
        return (
            f'<path d="M{x} {y - 5.5} L{x + 5.5} {y} L{x} {y + 5.5} L{x - 5.5} {y} Z" fill="{fill}" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
    return f'<circle cx="{x}" cy="{y}" r="3.8" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'


def _spike_markers(frame: Frame, spikes) -> list[str]:
    """An upward triangle above each spike and the word "rise" beside it: a shape
    and a text, not a colour. Where spikes crowd, one word serves the neighbours
    (the legend names the triangle too), so the labels never overprint."""
    parts, placed = [], []
    for spike in spikes:
        x, y = frame.x(spike.t), frame.y(spike.to)
        top = max(y - 8, TOP - 4)
        parts.append(
            f'<path d="M{x} {top - 9} L{x + 5.5} {top} L{x - 5.5} {top} Z" fill="{THRESHOLD_COLOUR}" '
            f'stroke="#fff" stroke-width="1"/>'
        )
        label_x, label_y, anchor = x + 7, top - 1, "start"
        if label_x + RISE_LABEL_WIDTH > frame.width:  # the newest entries: the word goes to the left
            label_x, anchor = x - 7, "end"
        if all(abs(label_x - px) > 34 or abs(label_y - py) > 12 for px, py in placed):
            placed.append((label_x, label_y))
            parts.append(
                _text(label_x, label_y, "rise", anchor=anchor, size=11, weight="bold", fill=THRESHOLD_COLOUR, halo=True)
            )
    return parts


def _day_ticks(frame: Frame, tz: ZoneInfo) -> list[str]:
    shown_days = (frame.end - frame.start) / timedelta(days=1)
    per_day = frame.plot_width / max(shown_days, 1 / 24)
    step = next((n for n in (1, 2, 4, 7) if per_day * n >= MIN_TICK_SPACING), 14)
    parts = []
    local_start = frame.start.astimezone(tz)
    midnight = local_start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    index = 0
    while midnight <= frame.end:
        x = frame.x(midnight)
        parts.append(
            f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{frame.height - BOTTOM}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        if index % step == 0:
            parts.append(
                _text(x, frame.height - BOTTOM + 16, f"{midnight.day} {midnight:%b}", anchor="middle", size=11)
            )
        index += 1
        midnight = (midnight + timedelta(days=1, hours=2)).replace(hour=0)  # safe across DST changes
    return parts


def _frame_box(frame: Frame) -> str:
    bottom = frame.height - BOTTOM
    return (
        f'<line x1="{LEFT}" y1="{bottom}" x2="{frame.right}" y2="{bottom}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )


def _threshold_line(frame: Frame, value: float, label: str) -> str:
    y = frame.y(value)
    return (
        f'<line x1="{LEFT}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="{THRESHOLD_COLOUR}" '
        f'stroke-width="1.5" stroke-dasharray="2 3"/>'
        + _text(LEFT + 4, y - 5, label, size=11, weight="bold", fill=THRESHOLD_COLOUR, halo=True)
    )


def _polyline(points: list[tuple[float, float]], colour: str, dash: str) -> str:
    if len(points) < 2:
        return ""
    coords = " ".join(f"{x},{y}" for x, y in points)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'


def _svg(frame: Frame, title_id: str, title: str, description: str, body: list[str]) -> str:
    kind = "wide" if frame.width > NARROW_WIDTH else "narrow"
    return (
        f'<svg class="trend-chart trend-{kind}" viewBox="0 0 {frame.width} {frame.height}" width="100%" role="img" '
        f'aria-labelledby="{title_id}-title {title_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{title_id}-title">{escape(title)}</title><desc id="{title_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _time_axis(trend: Trend) -> tuple[datetime, datetime]:
    """From the chart's start to just after the newest entry (``HEADROOM``)."""
    start = trend.chart_start or trend.start
    newest = max((t for series in trend.series.values() for t, _ in series), default=trend.end)
    end = max(trend.end, newest)
    return start, end + (end - start) * HEADROOM


def pain_chart(trend: Trend, *, tz: ZoneInfo, chart_id: str = "pain", width: int = NARROW_WIDTH) -> SafeString:
    start, end = _time_axis(trend)
    frame = Frame(start=start, end=end, low=0, high=10, height=PAIN_HEIGHT, width=width)
    body = [_frame_box(frame)]
    for value in (0, 5, 10):
        y = frame.y(value)
        body.append(f'<line x1="{LEFT}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="{GRID_COLOUR}" stroke-width="1"/>')
        body.append(_text(LEFT - 6, y + 4, str(value), anchor="end", size=11))
    body.extend(_day_ticks(frame, tz))
    severe = trend.thresholds.get("headache", trend.thresholds.get("back_pain"))
    if severe is not None:
        body.append(_threshold_line(frame, severe, f"Severe pain {severe:g}"))
    # Legend inside the picture too, with the shapes, so a screenshot alone reads.
    legend_x = LEFT
    for name in ("back_pain", "headache"):
        label, colour, dash, shape = SERIES_STYLE[name]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<line x1="{legend_x}" y1="12" x2="{legend_x + 22}" y2="12" stroke="{colour}" stroke-width="2"{dash_attr}/>'
        )
        body.append(_marker(shape, legend_x + 11, 12, colour))
        body.append(_text(legend_x + 28, 16, label, size=12, fill="#1b2a2f"))
        legend_x += 112
    body.append(f'<path d="M{legend_x + 5} 5 L{legend_x + 11} 13 L{legend_x - 1} 13 Z" fill="{THRESHOLD_COLOUR}"/>')
    body.append(_text(legend_x + 15, 16, "rise", size=12, fill="#1b2a2f"))
    for name in ("back_pain", "headache"):
        _, colour, dash, shape = SERIES_STYLE[name]
        points = [(frame.x(t), frame.y(v)) for t, v in trend.series.get(name, [])]
        body.append(_polyline(points, colour, dash))
        body.extend(_marker(shape, x, y, colour) for x, y in points)
    body.extend(_spike_markers(frame, trend.spikes))
    title = f"Back pain and headache, last {trend.days} days"
    return mark_safe(_svg(frame, chart_id, title, describe_pain(trend), body))  # numbers and fixed words, escaped


def temperature_chart(
    trend: Trend, *, tz: ZoneInfo, units: str, chart_id: str = "temperature", width: int = NARROW_WIDTH
) -> SafeString:
    fever_c = trend.thresholds.get("temperature_c")
    limits = [Decimal(str(fever_c))] if fever_c is not None else []  # no point drawn across the fever line
    values = [in_units(Decimal(str(v)), units, limits) for _, v in trend.series.get("temperature_c", [])]
    fever = in_units(Decimal(str(fever_c)), units, limits) if fever_c is not None else None
    # A steady scale (about 35.5-39.5 °C) that widens only for readings outside it.
    base_low, base_high = (96.0, 103.0) if units == "F" else (35.5, 39.5)
    low = min([base_low, *[v - 0.5 for v in values]])
    high = max([base_high, *[v + 0.5 for v in values]])
    start, end = _time_axis(trend)
    frame = Frame(start=start, end=end, low=low, high=high, height=TEMPERATURE_HEIGHT, width=width)
    body = [_frame_box(frame)]
    step = 1.0
    tick = float(int(low)) + (1 if int(low) < low else 0)
    while tick <= high:
        y = frame.y(tick)
        body.append(f'<line x1="{LEFT}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="{GRID_COLOUR}" stroke-width="1"/>')
        body.append(_text(LEFT - 6, y + 4, f"{tick:g}", anchor="end", size=11))
        tick += step if units == "C" else 2.0
    body.extend(_day_ticks(frame, tz))
    symbol = unit_symbol(units)
    if fever is not None:
        body.append(_threshold_line(frame, fever, f"Fever {fever:.1f} {symbol}"))
    _, colour, _, _ = SERIES_STYLE["temperature_c"]
    body.append(_marker("circle", LEFT, 12, colour))
    body.append(_text(LEFT + 8, 16, f"Temperature ({symbol})", size=12, fill="#1b2a2f"))
    body.append(_marker("diamond", LEFT + 140, 12, THRESHOLD_COLOUR))
    body.append(_text(LEFT + 150, 16, "fever or above", size=12, fill="#1b2a2f"))
    points = [(frame.x(t), frame.y(v)) for (t, _), v in zip(trend.series.get("temperature_c", []), values, strict=True)]
    body.append(_polyline(points, colour, ""))
    for (x, y), value in zip(points, values, strict=True):
        if fever is not None and value >= fever:
            body.append(_marker("diamond", x, y, THRESHOLD_COLOUR))
        else:
            body.append(_marker("circle", x, y, colour))
    title = f"Temperature in {symbol}, last {trend.days} days"
    return mark_safe(_svg(frame, chart_id, title, describe_temperature(values, fever, symbol), body))


def pain_charts(trend: Trend, *, tz: ZoneInfo, chart_id: str) -> SafeString:
    """The narrow and the wide drawing; the page's CSS shows the one that fits."""
    return mark_safe(  # both built from numbers and fixed words, escaped
        pain_chart(trend, tz=tz, chart_id=chart_id)
        + pain_chart(trend, tz=tz, chart_id=f"{chart_id}-wide", width=WIDE_WIDTH)
    )


def temperature_charts(trend: Trend, *, tz: ZoneInfo, units: str, chart_id: str) -> SafeString:
    return mark_safe(
        temperature_chart(trend, tz=tz, units=units, chart_id=chart_id)
        + temperature_chart(trend, tz=tz, units=units, chart_id=f"{chart_id}-wide", width=WIDE_WIDTH)
    )


def describe_pain(trend: Trend) -> str:
    parts = []
    for name in ("back_pain", "headache"):
        values = [v for _, v in trend.series.get(name, [])]
        label = SERIES_STYLE[name][0]
        if values:
            parts.append(f"{label}: {len(values)} entries, latest {values[-1]}, highest {max(values)}.")
        else:
            parts.append(f"{label}: no entries.")
    rises = len(trend.spikes)
    points = f"{trend.rise_points:g} points"
    parts.append(
        f"{rises} rise{'s' if rises != 1 else ''} of {points} or more marked." if rises else "No rises marked."
    )
    return " ".join(parts)


def describe_temperature(values: list[float], fever: float | None, symbol: str) -> str:
    if not values:
        return "No temperature readings."
    text = f"{len(values)} readings, latest {values[-1]:.1f} {symbol}, highest {max(values):.1f} {symbol}."
    if fever is not None:
        at_or_above = sum(1 for v in values if v >= fever)
        text += f" {at_or_above} at or above the fever line of {fever:.1f} {symbol}."
    return text
