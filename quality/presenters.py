"""The quality figures as the page and the CSV downloads show them: one table per
figure (the page prints it beside the chart, the CSV writes its raw numbers) and
the chart drawn from the same rows, so picture, table and file never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from patients.models import NeedleType
from portal.clinic.selectors import Clinic
from quality import charts
from quality.definitions import SMALL_COUNT
from quality.selectors import NeedleRow, QualityFigures, Rate

# Every hidden value says the same, whether it is under 5 or hidden so that no count under
# 5 can be worked out: which is which would itself tell something.
NOT_SHOWN = "not shown"
NEEDLE_LABELS = {NeedleType.ATRAUMATIC: "Atraumatic", NeedleType.CUTTING: "Cutting"}
# The literature's yardstick (Nath et al., Lancet 2018, meta-analysis): atraumatic
# needles give PDPH at roughly 40 % of the cutting-needle rate.
LITERATURE_RATIO = 0.4


@dataclass(frozen=True)
class Cell:
    text: str  # what the page prints
    raw: object  # what the CSV writes (None: hidden, an empty cell)
    hidden: bool = False


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]

    @property
    def has_hidden(self) -> bool:
        return any(cell.hidden for row in self.rows for cell in row)


@dataclass
class Figure:
    slug: str
    title: str
    lead: str
    table: Table
    chart: charts.BarChart | charts.ColumnChart
    notes: list[str]
    wide_table: bool = False  # the table under the chart, full width (many columns)

    @property
    def is_columns(self) -> bool:
        return isinstance(self.chart, charts.ColumnChart)


# --- Cells -----------------------------------------------------------------------------------


def text(value: str) -> Cell:
    return Cell(value, value)


def count(value: int | None) -> Cell:
    return Cell(NOT_SHOWN, None, True) if value is None else Cell(f"{value:,}", value)


def percent(value: float | None) -> Cell:
    return Cell(NOT_SHOWN, None, True) if value is None else Cell(f"{value * 100:.1f} %", round(value, 4))


def number(value: float | None, unit: str, digits: int = 1) -> Cell:
    if value is None:
        return Cell(NOT_SHOWN, None, True)
    return Cell(f"{value:,.{digits}f} {unit}".rstrip(), round(value, 4))


def minutes(value: float | None) -> Cell:
    if value is None:
        return Cell(NOT_SHOWN, None, True)
    words = f"{value:.1f} min" if value < 120 else f"{value / 60:.1f} h ({value:,.0f} min)"
    return Cell(words, round(value, 2))


def needle_label(row: NeedleRow) -> str:
    kind = NEEDLE_LABELS.get(row.needle_type, row.needle_type)
    return f"{kind}, all gauges" if row.needle_gauge is None else f"{kind} {row.needle_gauge} G"


def rate_words(rate: Rate) -> str:
    if rate.rate is None:
        return NOT_SHOWN
    return f"{rate.rate * 100:.1f} % ({rate.ci_low * 100:.1f}\u2013{rate.ci_high * 100:.1f})"


# --- Figures ---------------------------------------------------------------------------------


def procedures_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    size = figures.by_time[0].size if figures.by_time else "month"
    rows = [[text(bucket.label), count(bucket.procedures)] for bucket in figures.by_time]
    rows.append([text("All"), count(figures.procedures)])
    shown = [(bucket.label, bucket.procedures) for bucket in figures.by_time]
    busiest = max((b for b in figures.by_time if b.procedures is not None), key=lambda b: b.procedures, default=None)
    total = f"{figures.procedures:,}" if figures.procedures is not None else NOT_SHOWN
    description = f"Procedures per {size}: {total} in all."
    if busiest is not None:
        description += f" The most in {busiest.label}: {busiest.procedures:,}."
    return Figure(
        slug="procedures",
        title="Procedures",
        lead=f"Lumbar punctures performed in the period, per {size}.",
        table=Table(f"Procedures per {size}", [size.capitalize(), "Procedures"], rows),
        chart=charts.column_chart(
            chart_id="chart-procedures", title=f"Procedures per {size}", description=description, columns=shown
        ),
        notes=[],
    )


def _needle_rows(figures: QualityFigures) -> list[NeedleRow]:
    """Each type's total first, then its gauges."""
    ordered = []
    for total in figures.by_needle_type:
        ordered.append(total)
        ordered += [row for row in figures.by_needle if row.needle_type == total.needle_type]
    return ordered


def pdph_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    rows = []
    bars = []
    for row in _needle_rows(figures):
        rate = row.pdph
        rows.append(
            [
                text(NEEDLE_LABELS.get(row.needle_type, row.needle_type)),
                text("all") if row.needle_gauge is None else Cell(f"{row.needle_gauge} G", row.needle_gauge),
                count(rate.procedures),
                count(rate.count),
                percent(rate.rate),
                percent(rate.ci_low),
                percent(rate.ci_high),
            ]
        )
        interval = (rate.ci_low, rate.ci_high) if rate.rate is not None else None
        bars.append((needle_label(row), rate.rate, rate_words(rate), interval))
    notes = []
    if figures.pdph_ratio is not None:
        notes.append(
            f"Atraumatic needles: PDPH at {figures.pdph_ratio * 100:.0f} % of the cutting-needle rate in this period. "
            f"The literature's yardstick is about {LITERATURE_RATIO * 100:.0f} % (Nath et al., Lancet 2018)."
        )
    else:
        notes.append(
            f"The literature's yardstick: atraumatic needles give PDPH at about {LITERATURE_RATIO * 100:.0f} % of the "
            "cutting-needle rate (Nath et al., Lancet 2018). This period has too few procedures of one type to compare."
        )
    notes.append("Procedures of the last 5 days may still gain a PDPH report.")
    shown = [bar for bar in bars if bar[1] is not None]
    description = "PDPH rate with its 95 % interval, per needle. " + " ".join(
        f"{label}: {words}." for label, _, words, _ in shown
    )
    return Figure(
        slug="pdph",
        title="PDPH by needle type and gauge",
        lead="Share of procedures followed by a post-dural-puncture headache, with its 95 % confidence interval.",
        table=Table(
            "PDPH by needle type and gauge",
            ["Needle", "Gauge", "Procedures", "PDPH", "Rate", "95 % CI low", "95 % CI high"],
            rows,
        ),
        chart=charts.bar_chart(
            chart_id="chart-pdph",
            title="PDPH rate by needle type and gauge",
            description=description if shown else "No rate can be shown for this period: too few procedures.",
            rows=bars,
            tick_format=lambda value: f"{value * 100:g} %",
            legend=[("whisker", "95 % confidence interval")],
        ),
        notes=notes,
        wide_table=True,
    )


def blood_patch_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    rows = []
    bars = []
    for row in figures.by_needle_type:
        rate = row.referrals
        rows.append([text(needle_label(row)), count(rate.procedures), count(rate.count), percent(rate.rate)])
        bars.append((needle_label(row), rate.rate, _share_words(rate.rate), None))
    rows.append(
        [
            text("All needles"),
            count(figures.procedures),
            count(figures.blood_patch_referrals),
            percent(figures.blood_patch_share),
        ]
    )
    bars.append(("All needles", figures.blood_patch_share, _share_words(figures.blood_patch_share), None))
    total = figures.blood_patch_referrals
    return Figure(
        slug="blood-patch",
        title="Blood-patch referrals",
        lead="Procedures followed by a referral to an anesthesiologist (a forwarded case) within 14 days.",
        table=Table("Blood-patch referrals by needle type", ["Needle", "Procedures", "Referrals", "Share"], rows),
        chart=charts.bar_chart(
            chart_id="chart-blood-patch",
            title="Share of procedures referred for a blood patch",
            description=f"Referrals in all: {total:,}." if total is not None else f"Referrals in all: {NOT_SHOWN}.",
            rows=bars,
            tick_format=lambda value: f"{value * 100:g} %",
        ),
        notes=["Procedures of the last 14 days may still gain a referral."],
    )


def _share_words(value: float | None) -> str:
    return NOT_SHOWN if value is None else f"{value * 100:.1f} %"


def urgent_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    urgent = figures.urgent
    target = urgent.target_minutes
    rows = [
        [text("Urgent alerts"), count(urgent.alerts)],
        [text("Acknowledged"), percent(urgent.acknowledged_share)],
        [text(f"Acknowledged within {target} minutes"), percent(urgent.within_target_share)],
        [text("Median time to acknowledgement"), minutes(urgent.median_minutes)],
        [text("90th percentile"), minutes(urgent.p90_minutes)],
        [text(f"Escalated (not acknowledged within {target} minutes)"), count(urgent.escalations)],
    ]
    bars = [
        ("Median", urgent.median_minutes, minutes(urgent.median_minutes).text, None),
        ("90th percentile", urgent.p90_minutes, minutes(urgent.p90_minutes).text, None),
    ]
    within = urgent.within_target_share
    description = (
        f"Time from an urgent alert to its acknowledgement: median {minutes(urgent.median_minutes).text}, "
        f"90th percentile {minutes(urgent.p90_minutes).text}; the target is {target} minutes"
        + (f", met for {within * 100:.1f} % of urgent alerts." if within is not None else ".")
    )
    return Figure(
        slug="urgent-alerts",
        title="Urgent alerts: time to acknowledgement",
        lead=f"From an urgent alert to the first acknowledgement, against the {target}-minute escalation target.",
        table=Table("Urgent alerts", ["Measure", "Value"], rows),
        chart=charts.bar_chart(
            chart_id="chart-urgent",
            title="Minutes to acknowledge an urgent alert",
            description=description,
            rows=bars,
            tick_format=lambda value: f"{value:g} min",
            references=[(target, f"{target}-minute target")],
        ),
        notes=[
            "For comparison: in a Finnish ePRO service (Kaiku) the median time to clinician review of an "
            "alerting report was 19.6 hours."
        ],
    )


def replies_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    replies = figures.replies
    rows = [
        [text("Patient messages awaiting an answer"), count(replies.messages)],
        [text("Answered by a clinician"), percent(replies.answered_share)],
        [text("Median time to the first reply"), number(replies.median_hours, "h")],
        [text("90th percentile"), number(replies.p90_hours, "h")],
    ]
    bars = [
        ("Median", replies.median_hours, number(replies.median_hours, "h").text, None),
        ("90th percentile", replies.p90_hours, number(replies.p90_hours, "h").text, None),
    ]
    references = []
    promised = clinic.message_response_hours
    if promised:
        references.append((promised, f"the clinic's {promised} h"))
    return Figure(
        slug="message-replies",
        title="Patient messages: time to first clinician reply",
        lead="From a patient's message to the next message of a clinician in the same conversation.",
        table=Table("Time to first clinician reply", ["Measure", "Value"], rows),
        chart=charts.bar_chart(
            chart_id="chart-replies",
            title="Hours to a clinician's first reply",
            description=(
                f"Median {number(replies.median_hours, 'h').text}, "
                f"90th percentile {number(replies.p90_hours, 'h').text}."
            ),
            rows=bars,
            tick_format=lambda value: f"{value:g} h",
            references=references,
        ),
        notes=[] if promised else ["The clinic has not set a response time for messages (Django admin, Clinic)."],
    )


def feedback_figure(figures: QualityFigures, clinic: Clinic) -> Figure:
    feedback = figures.feedback
    rows = [
        [text("Feedback given"), count(feedback.n)],
        [text("Share of the period's procedures"), percent(feedback.response_share)],
        [text("Clarity (mean of 1-5)"), number(feedback.clarity, "", 2)],
        [text("Responsiveness (mean of 1-5)"), number(feedback.responsiveness, "", 2)],
    ]
    bars = [
        ("Clarity", feedback.clarity, _mean_words(feedback.clarity), None),
        ("Responsiveness", feedback.responsiveness, _mean_words(feedback.responsiveness), None),
    ]
    return Figure(
        slug="feedback",
        title="Patient feedback",
        lead="What patients said from day 3 after their procedure, each score from 1 (poor) to 5 (excellent).",
        table=Table("Patient feedback", ["Measure", "Value"], rows),
        chart=charts.bar_chart(
            chart_id="chart-feedback",
            title="Mean feedback scores, 1 to 5",
            description=(
                f"Clarity {_mean_words(feedback.clarity)}, responsiveness {_mean_words(feedback.responsiveness)}, "
                f"from {count(feedback.n).text} patients."
            ),
            rows=bars,
            axis_min=1.0,
            axis_max=5.0,
            tick_format=lambda value: f"{value:g}",
        ),
        notes=[],
    )


def _mean_words(value: float | None) -> str:
    return NOT_SHOWN if value is None else f"{value:.2f} of 5"


# Each figure from the period's figures and the clinic's settings (read once per request).
FIGURES: dict[str, Callable[[QualityFigures, Clinic], Figure]] = {
    "procedures": procedures_figure,
    "pdph": pdph_figure,
    "blood-patch": blood_patch_figure,
    "urgent-alerts": urgent_figure,
    "message-replies": replies_figure,
    "feedback": feedback_figure,
}


def all_figures(figures: QualityFigures, clinic: Clinic) -> list[Figure]:
    return [build(figures, clinic) for build in FIGURES.values()]


def csv_text(figure: Figure) -> str:
    """The figure's table as CSV: raw numbers (rates as fractions), hidden values empty
    and said so in the last column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*figure.table.columns, "Note"])
    for row in figure.table.rows:
        note = (
            f"not shown: a count under {SMALL_COUNT}, or a figure that would give one away"
            if any(cell.hidden for cell in row)
            else ""
        )
        writer.writerow([*("" if cell.raw is None else cell.raw for cell in row), note])
    return out.getvalue()
