"""The quality figures as server-rendered SVG (no JavaScript, no CDN), like the diary
trend: this module computes the geometry, ``quality/_bar_chart.svg.html`` and
``quality/_column_chart.svg.html`` draw it. Readable without colour: every bar carries
its number in words beside it, reference lines are dashed and labelled, a hidden
value says so in text. The same numbers are in a table next to each chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# A narrow drawing (SVG units) so that on a 390 px phone the text renders near full size.
WIDTH = 330
LEFT, RIGHT = 6, 8
ROW_HEIGHT = 38
BAR_HEIGHT = 12
AXIS_HEIGHT = 26
LEGEND_HEIGHT = 22


@dataclass(frozen=True)
class Tick:
    x: float  # the position along the value axis (a column chart's: y)
    label: str

    @property
    def label_y(self) -> float:
        """For a column chart's y ticks: the label's baseline, centred on the line."""
        return self.x + 4


@dataclass(frozen=True)
class Reference:
    """A labelled vertical line: a target or a yardstick."""

    x: float
    label: str


@dataclass(frozen=True)
class BarRow:
    label: str
    value_text: str
    label_y: float
    bar_y: float
    width: float  # 0 for a hidden value
    hidden: bool
    whisker: tuple[float, float] | None = None  # x of the interval's ends

    @property
    def bar_middle(self) -> float:
        return self.bar_y + BAR_HEIGHT / 2

    @property
    def cap_top(self) -> float:
        return self.bar_y + 1

    @property
    def cap_bottom(self) -> float:
        return self.bar_y + BAR_HEIGHT - 1


@dataclass
class BarChart:
    """Horizontal bars, one row each: the label and the value in words above the bar."""

    chart_id: str
    title: str
    description: str
    rows: list[BarRow]
    ticks: list[Tick]
    references: list[Reference]
    height: float
    plot_top: float
    plot_bottom: float
    legend: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) shown above the rows

    width: int = WIDTH
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bar_height: int = BAR_HEIGHT
    legend_x: int = LEFT + 24  # the legend's words, after its 18-unit sample
    sample_end: int = LEFT + 18

    @property
    def tick_label_y(self) -> float:
        return self.plot_bottom + 16

    @property
    def hidden_width(self) -> float:
        return self.right_edge - self.left - 6

    @property
    def reference_top(self) -> float:
        return self.plot_top - 4


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    hidden: bool
    show_label: bool


@dataclass
class ColumnChart:
    """Vertical bars over time (procedures per month or quarter)."""

    chart_id: str
    title: str
    description: str
    columns: list[Column]
    ticks: list[Tick]  # y ticks: ``x`` holds the y position
    height: float
    plot_top: float
    plot_bottom: float
    width: int = WIDTH
    left: int = 30
    right_edge: int = WIDTH - RIGHT

    @property
    def tick_label_x(self) -> int:
        return self.left - 5

    @property
    def label_y(self) -> float:
        return self.plot_bottom + 16

    @property
    def hidden_y(self) -> float:
        return self.plot_bottom - 3

    @property
    def note_y(self) -> float:
        return self.height - 4

    @property
    def has_hidden(self) -> bool:
        return any(column.hidden for column in self.columns)


def nice_maximum(value: float) -> tuple[float, float]:
    """An axis end at or above ``value`` and a tick step: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0, 0.25
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        top = factor * 10**exponent
        if top >= value - 1e-12:
            break
    step = top / 4 if factor in (1, 2, 10) else top / 5
    return top, step


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    rows: list[tuple[str, float | None, str, tuple[float, float] | None]],
    axis_max: float | None = None,
    axis_min: float = 0.0,
    tick_format=lambda value: f"{value:g}",
    references: list[tuple[float, str]] = (),
    legend: list[tuple[str, str]] = (),
) -> BarChart:
    """``rows``: (label, value or None when hidden, value in words, (low, high) or None)."""
    values = [v for _, v, _, _ in rows if v is not None]
    values += [high for _, v, _, interval in rows if v is not None and interval for high in interval[1:]]
    values += [value for value, _ in references]
    top, step = nice_maximum(max(values, default=0.0)) if axis_max is None else (axis_max, (axis_max - axis_min) / 4)
    plot_left, plot_right = LEFT, WIDTH - RIGHT

    def x(value: float) -> float:
        span = (top - axis_min) or 1
        return round(plot_left + (plot_right - plot_left) * (min(max(value, axis_min), top) - axis_min) / span, 1)

    plot_top = LEGEND_HEIGHT if (references or legend) else 4
    chart_rows = []
    for index, (label, value, text, interval) in enumerate(rows):
        label_y = plot_top + index * ROW_HEIGHT + 13
        bar_y = label_y + 6
        chart_rows.append(
            BarRow(
                label=label,
                value_text=text,
                label_y=label_y,
                bar_y=bar_y,
                width=0.0 if value is None else max(round(x(value) - plot_left, 1), 1.5 if value > axis_min else 0),
                hidden=value is None,
                whisker=(x(interval[0]), x(interval[1])) if value is not None and interval else None,
            )
        )
    plot_bottom = plot_top + len(rows) * ROW_HEIGHT + 2
    ticks = []
    tick = axis_min
    while tick <= top + 1e-9:
        ticks.append(Tick(x(tick), tick_format(tick)))
        tick += step
    return BarChart(
        chart_id=chart_id,
        title=title,
        description=description,
        rows=chart_rows,
        ticks=ticks,
        references=[Reference(x(value), label) for value, label in references],
        height=plot_bottom + AXIS_HEIGHT,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        legend=list(legend),
    )


def column_chart(*, chart_id: str, title: str, description: str, columns: list[tuple[str, int | None]]) -> ColumnChart:
    """``columns``: (label, count or None when hidden), in time order."""
    height, plot_top, plot_bottom = 190.0, 12.0, 160.0
    left, right = 30, WIDTH - RIGHT
    top, step = nice_maximum(max((c for _, c in columns if c is not None), default=0))

    def y(value: float) -> float:
        return round(plot_bottom - (plot_bottom - plot_top) * value / top, 1)

    slot = (right - left) / max(len(columns), 1)
    label_every = max(1, math.ceil(len(columns) / 4))  # about 70 units per label: none overlap
    drawn = []
    for index, (label, count) in enumerate(columns):
        width = max(round(slot * 0.7, 1), 2.0)
        x = round(left + slot * index + (slot - width) / 2, 1)
        drawn.append(
            Column(
                x=x,
                y=plot_bottom if count is None else y(count),
                width=width,
                height=0.0 if count is None else round(plot_bottom - y(count), 1),
                label=label,
                value_text="not shown" if count is None else f"{count:,}",
                hidden=count is None,
                show_label=index % label_every == 0,
            )
        )
    ticks = []
    tick = 0.0
    while tick <= top + 1e-9:
        ticks.append(Tick(y(tick), f"{tick:g}"))
        tick += step
    return ColumnChart(
        chart_id=chart_id,
        title=title,
        description=description,
        columns=drawn,
        ticks=ticks,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
    )
