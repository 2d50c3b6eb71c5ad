"""How a lab value reads: numbers, words and the range bar, for the API and the pages alike.

The range bar is server-side SVG built from numbers only (no script, no CDN). It
never carries meaning by colour alone: the flag is also a word and a symbol, the
SVG has a text alternative, and the page prints the same sentence underneath.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from labs.models import AnalyteUnit, BloodCultureResult, Flag, LabValue, RangeSource
from portal.numbers import rounded_within_limits

# Words stay neutral (CLINICAL.md section 4): a value in the range is "in the usual
# range", never "reassuring"; one outside it is not a diagnosis.
FLAG_WORDS = {
    Flag.LOW: ("Below the usual range", "▼"),
    Flag.NORMAL: ("In the usual range", "●"),
    Flag.HIGH: ("Above the usual range", "▲"),
    "": ("No usual range to compare with", "○"),
}


def format_number(value: Decimal | None, places: int = 0) -> str:
    """A stored value as people write it: no trailing zeros beyond ``places``."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if places:
        whole, _, decimals = text.partition(".")
        if len(decimals) < places:
            text = f"{whole}.{decimals.ljust(places, '0')}"
    return text


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _limits(value: LabValue) -> list[Decimal | None]:
    return [value.ref_low, value.ref_high, value.ref_borderline_low]


def shown_value(value: LabValue) -> str:
    """The value as the pages print it. An entered value is shown as the lab gave it;
    a computed one (the glucose ratio) to the analyte's decimals, never rounded across
    a limit (0.595 shows as "0.59", borderline, not as the usual "0.60")."""
    places = value.analyte.decimal_places
    if not value.computed:
        return format_number(value.value, places)
    return format_number(rounded_within_limits(value.value, places, _limits(value)), places)


def alongside_unit(value: LabValue) -> AnalyteUnit | None:
    """The other unit the analyte's values are also shown in (uses the prefetched rows)."""
    return next((unit for unit in value.analyte.other_units.all() if unit.shown_alongside), None)


def shown_alongside(value: LabValue) -> tuple[Decimal, str] | None:
    """The value in its other unit to two decimals (more when rounding would cross a
    limit: 45.4 mg/dL of protein is "0.454 g/L", not the upper limit's "0.45")."""
    unit = alongside_unit(value)
    if unit is None or unit.unit == value.unit:
        return None
    limits = [None if limit is None else limit / unit.factor for limit in _limits(value)]
    return rounded_within_limits(value.value / unit.factor, 2, limits), unit.unit


def unit_note(value: LabValue, *, for_clinician: bool) -> str:
    """Values stored before units were required were read in the analyte's unit."""
    if not for_clinician or value.entered_unit or value.computed:
        return ""
    return f"Sent without a unit before units were required; read as {value.unit}."


def band(value: LabValue) -> str:
    """ "borderline" for a low value in the borderline band (the glucose ratio)."""
    return "borderline" if value.is_borderline else ""


def flag_words(value: LabValue) -> tuple[str, str]:
    if value.is_borderline:
        return "Borderline, just below the usual range", "▼"
    return FLAG_WORDS.get(value.flag, FLAG_WORDS[""])


def range_words(value: LabValue) -> str:
    """The range this value was compared with, in words ("45-80 mg/dL", "below 10 mg/L")."""
    places = value.analyte.decimal_places
    low, high = format_number(value.ref_low, places), format_number(value.ref_high, places)
    unit = "" if value.unit == "ratio" else f" {value.unit}"
    if value.ref_low is not None and value.ref_high is not None:
        return f"{low}\u2013{high}{unit}"  # an en dash, as ranges are printed
    if value.ref_high is not None:
        return f"{'up to ' + high if value.ref_high_inclusive else 'below ' + high}{unit}"
    if value.ref_low is not None:
        return f"{low + ' or more' if value.ref_low_inclusive else 'above ' + low}{unit}"
    return "no set range"


def range_source_words(value: LabValue) -> str:
    if value.range_source == RangeSource.LAB:
        return "This is the lab's own range for this test."
    if value.range_source == RangeSource.AGE_SEX:
        return "This usual limit is worked out from age and sex at the time of the test."
    return ""


def value_sentence(value: LabValue, *, for_clinician: bool = False) -> str:
    """The value against its range, addressed to the patient ("Your value is ...") or,
    for a clinician, about the result ("12 cells/uL, above the usual range ...")."""
    shown = shown_value(value)
    unit = "" if value.unit == "ratio" else f" {value.unit}"
    lead = f"{value.analyte.short_name} {shown}{unit}" if for_clinician else f"Your value is {shown}{unit}"
    if not value.flag:
        return f"{lead}. There is no set usual range for this test."
    if value.is_borderline:
        borderline = format_number(value.ref_borderline_low, value.analyte.decimal_places)
        return f"{lead}: borderline (from {borderline} up to the usual range of {range_words(value)})."
    where = {Flag.LOW: "below", Flag.NORMAL: "in", Flag.HIGH: "above"}[value.flag]
    return f"{lead}, {where} the usual range ({range_words(value)})."


def as_api(value: LabValue, *, for_clinician: bool) -> dict:
    alongside = shown_alongside(value)
    data = {
        "analyte": value.analyte.code,
        "name": value.analyte.name,
        "value": as_float(value.value),
        "shown": shown_value(value),
        "unit": value.unit,
        "low": as_float(value.ref_low),
        "high": as_float(value.ref_high),
        "flag": value.flag or None,
        "band": band(value) or None,
        "explanation": value.analyte.explanation,
        "range_text": range_words(value),
        "range_source": value.range_source or None,
        "computed": value.computed,
        "si": None if alongside is None else {"value": float(alongside[0]), "unit": alongside[1]},
    }
    if value.fasting is not None:
        data["fasting"] = value.fasting
    if for_clinician:
        data["lab_low"] = as_float(value.lab_low)
        data["lab_high"] = as_float(value.lab_high)
        data["clinician_note"] = value.analyte.clinician_note
        data["citation"] = value.analyte.citation
        data["entered_unit"] = value.entered_unit or None
    return data


# --- The range bar --------------------------------------------------------------------

WIDTH, HEIGHT, BAR_Y, BAR_H = 300, 46, 18, 12


@dataclass(frozen=True)
class Scale:
    low: float
    high: float

    def x(self, number: float) -> float:
        span = self.high - self.low or 1.0
        return round(max(0.0, min(1.0, (number - self.low) / span)) * WIDTH, 1)


def _scale(value: LabValue) -> Scale:
    low = float(value.ref_low) if value.ref_low is not None else None
    high = float(value.ref_high) if value.ref_high is not None else None
    reading = float(value.value)
    top = max(high * 2, high + 1) if high is not None else max((low or 0) * 2, 1.0)
    # A far-off value stays at the edge with an arrow: the usual range must stay readable.
    top = max(top, min(reading * 1.15, top * 4))
    return Scale(0.0, top)


def range_bar(value: LabValue, *, for_clinician: bool = False) -> SafeString:
    """An SVG bar: the usual range as a band, the value as a marker; empty when
    there is no range. Its text alternative says the same as the sentence below it."""
    if value.ref_low is None and value.ref_high is None:
        return mark_safe("")
    scale = _scale(value)
    band_start = scale.x(float(value.ref_low)) if value.ref_low is not None else 0.0
    band_end = scale.x(float(value.ref_high)) if value.ref_high is not None else float(WIDTH)
    marker = scale.x(float(value.value))
    off_scale = float(value.value) > scale.high
    label = value_sentence(value, for_clinician=for_clinician)
    places = value.analyte.decimal_places
    ticks = []
    for limit in (value.ref_low, value.ref_high):
        if limit is not None:
            x = scale.x(float(limit))
            anchor = "start" if x < 20 else "end" if x > WIDTH - 20 else "middle"
            ticks.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" class="tick"/>'
                    '<text x="{}" y="{}" text-anchor="{}" class="tick-label">{}</text>',
                    x,
                    BAR_Y - 2,
                    x,
                    BAR_Y + BAR_H + 2,
                    x,
                    HEIGHT - 2,
                    anchor,
                    format_number(limit, places),
                )
            )
    arrow = format_html('<path d="M{} {} l-8 -6 v12 z" class="marker"/>', WIDTH, BAR_Y + BAR_H / 2) if off_scale else ""
    return format_html(
        '<svg class="range-bar" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{label}" '
        'preserveAspectRatio="xMidYMid meet" focusable="false">'
        '<rect x="0" y="{y}" width="{w}" height="{bh}" rx="6" class="track"/>'
        '<rect x="{bs}" y="{y}" width="{bw}" height="{bh}" class="usual"/>'
        "{ticks}"
        '<line x1="{m}" y1="2" x2="{m}" y2="{my}" class="marker-line"/>'
        '<circle cx="{m}" cy="{cy}" r="7" class="marker"/>'
        "{arrow}"
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        label=label,
        y=BAR_Y,
        bh=BAR_H,
        bs=band_start,
        bw=max(band_end - band_start, 1.0),
        ticks=mark_safe("".join(ticks)),  # built by format_html above
        m=marker,
        my=BAR_Y + BAR_H + 4,
        cy=BAR_Y + BAR_H / 2,
        arrow=arrow,
    )


@dataclass(frozen=True)
class ValueView:
    """One value as the pages show it."""

    value: LabValue
    shown: str
    flag_word: str
    flag_symbol: str
    sentence: str
    range_text: str
    range_source: str
    bar: SafeString
    si: str
    unit_note: str = ""


def value_view(value: LabValue, *, for_clinician: bool = False) -> ValueView:
    word, symbol = flag_words(value)
    alongside = shown_alongside(value)
    return ValueView(
        value=value,
        shown=shown_value(value),
        flag_word=word,
        flag_symbol=symbol,
        sentence=value_sentence(value, for_clinician=for_clinician),
        range_text=range_words(value),
        range_source=range_source_words(value),
        bar=range_bar(value, for_clinician=for_clinician),
        si="" if alongside is None else f"{format_number(alongside[0], 0)} {alongside[1]}",
        unit_note=unit_note(value, for_clinician=for_clinician),
    )


# --- Blood cultures ---------------------------------------------------------------------


@dataclass(frozen=True)
class CultureWords:
    """A blood culture result in plain language: one headline and what it means next.
    Neutral words (CLINICAL.md 4 and 6): "no growth" is what the lab saw, never
    "reassuring" and never "infection ruled out"."""

    headline: str
    detail: str


def culture_of(report) -> BloodCultureResult | None:
    """The report's blood culture result, or None (uses the select_related row)."""
    try:
        return report.culture
    except BloodCultureResult.DoesNotExist:
        return None


def culture_words(result: BloodCultureResult) -> CultureWords:
    if result.no_growth and not result.is_final:
        return CultureWords(
            "No germs have grown in your blood culture after 48 hours.",
            "This is a preliminary result. The lab keeps watching the sample for 5 days in all; the final "
            "result follows. Your clinician reads it together with your other results and how you feel.",
        )
    if result.no_growth:
        return CultureWords(
            "No germs grew in your blood culture in 5 days.",
            "This is the final result. Your clinician reads it together with your other results and how you feel.",
        )
    headline = f"Germs grew in your blood culture: the lab found {result.organism}."
    if result.is_final:
        return CultureWords(
            headline,
            "This is the final result. Your care team decides with you what happens next; if you feel unwell, "
            "contact them now.",
        )
    return CultureWords(
        headline,
        "This is a preliminary result: the lab is still working on the sample and the final result follows. "
        "Your care team decides with you what happens next; if you feel unwell, contact them now.",
    )
