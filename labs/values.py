"""Structured lab values on their way in: parsed, validated, converted, flagged.

``prepare_values`` is pure validation (no writes): it returns the values ready to
save, or raises ``ValidationError({"values": [...]})`` listing every problem by its
item number and analyte ("Item 2 (csf_protein): ..."). Messages never echo what was sent.

CLINICAL.md section 4: every value comes with a unit its analyte knows (its own
``Analyte.unit`` or one of its ``AnalyteUnit`` rows); it is converted to the analyte's
unit and flagged on the exact result; it is stored to four decimals on the same side
of every limit (``labs.ranges.stored_value``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from labs.models import Analyte, LabReportKind, Specimen
from labs.ranges import (
    ReferenceRange,
    age_in_years,
    flag_value,
    glucose_ratio,
    reference_range,
    stored_value,
)

RATIO = "csf_serum_glucose_ratio"
CSF_GLUCOSE = "csf_glucose"
SERUM_GLUCOSE = "serum_glucose"
MAX_VALUES = 40
MAX_NUMBER = Decimal("99999999")
ALLOWED_KEYS = {"analyte", "value", "unit", "low", "high", "fasting"}
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class PreparedValue:
    analyte: Analyte
    value: Decimal  # in the analyte's unit, as stored (four decimals, flagged as ``exact``)
    entered_unit: str  # the unit it was sent in ("" for a computed value)
    lab_low: Decimal | None
    lab_high: Decimal | None
    fasting: bool | None
    computed: bool
    reference: ReferenceRange
    flag: str
    exact: Decimal  # in the analyte's unit, before rounding to be stored


def _normalise_unit(unit: str) -> str:
    """The spelling-free form of a unit: "cells/µL" and "cells/uL", "x10⁶/L" (with a times sign) and
    "x10^6/L", "mmH₂O" and "mmH2O", "mm/h" and "mm/hr" are the same unit."""
    table = str.maketrans({"µ": "u", "μ": "u", "₂": "2", "⁶": "6", "\u00d7": "x", "^": None, " ": None})
    normal = unit.translate(table).lower()
    return normal[:-1] if normal.endswith("/hr") else normal


def accepted_units(analyte: Analyte) -> dict[str, tuple[str, Decimal]]:
    """normalised unit -> (the unit as the analyte spells it, factor to the analyte's unit)."""
    units = {_normalise_unit(analyte.unit): (analyte.unit, Decimal(1))}
    for other in analyte.other_units.all():
        units.setdefault(_normalise_unit(other.unit), (other.unit, other.factor))
    return units


def unit_choices(analyte: Analyte) -> str:
    """ "mg/dL or g/L": the units to name in a message, the analyte's own first."""
    spelled = list(dict.fromkeys(unit for unit, _ in accepted_units(analyte).values()))
    return " or ".join([", ".join(spelled[:-1]), spelled[-1]] if len(spelled) > 1 else spelled)


def _number(raw: Any) -> Decimal | None:
    """A JSON number as a Decimal, or None when it is not one we accept."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    if number < 0 or number > MAX_NUMBER:
        return None
    return number  # exact: flags are decided on it, rounding comes only with storing


def parse_values_json(raw: Any) -> Any:
    """The ``values`` field as sent: a JSON string (multipart) or a list (JSON body)."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise ValidationError({"values": ['Send a JSON list of {"analyte", "value"} objects.']}) from None
    return raw


def prepare_values(*, raw: Any, kind: str, sex: str, date_of_birth, collected_at: datetime) -> list[PreparedValue]:
    items = parse_values_json(raw)
    if not isinstance(items, list):
        raise ValidationError({"values": ['Send a JSON list of {"analyte", "value"} objects.']})
    if len(items) > MAX_VALUES:
        raise ValidationError({"values": [f"At most {MAX_VALUES} values per report."]})
    analytes = {analyte.code: analyte for analyte in Analyte.objects.prefetch_related("other_units")}
    age = age_in_years(date_of_birth, collected_at.date()) if date_of_birth else None
    errors: list[str] = []
    prepared: dict[str, PreparedValue] = {}
    for number, item in enumerate(items, start=1):
        where = f"Item {number}"
        if not isinstance(item, dict):
            errors.append(f'{where}: each value must be an object with "analyte", "value" and "unit".')
            continue
        if set(item) - ALLOWED_KEYS:
            errors.append(f"{where}: only analyte, value, unit, low, high and fasting are accepted.")
            continue
        code = item.get("analyte")
        analyte = analytes.get(code) if isinstance(code, str) else None
        if analyte is None:
            errors.append(f"{where}: unknown analyte.")
            continue
        where = f"Item {number} ({code})"  # every later message names the value
        if code in prepared:
            errors.append(f"{where}: {code} appears more than once.")
            continue
        if analyte.specimen == Specimen.CSF and kind != LabReportKind.CSF:
            errors.append(f"{where}: {code} belongs in a CSF report.")
            continue
        value = _number(item.get("value"))
        if value is None:
            errors.append(f"{where}: value must be a number from 0 to {MAX_NUMBER:,}.")
            continue
        unit = item.get("unit")
        if unit is not None and not isinstance(unit, str):
            errors.append(f"{where}: the unit must be text, one of {unit_choices(analyte)}.")
            continue
        if unit is None or not unit.strip():
            errors.append(f"{where}: the unit is missing; give it as {unit_choices(analyte)}.")
            continue
        known = accepted_units(analyte).get(_normalise_unit(unit))
        if known is None:
            errors.append(f"{where}: not a unit of {analyte.short_name}; give it as {unit_choices(analyte)}.")
            continue
        entered_unit, factor = known
        limits: dict[str, Decimal | None] = {"low": None, "high": None}
        bad_limit = False
        for key in limits:
            if item.get(key) is None:
                continue
            limits[key] = _number(item[key])
            if limits[key] is None:
                errors.append(f"{where}: {key} must be a number from 0 to {MAX_NUMBER:,}.")
                bad_limit = True
        if bad_limit:
            continue
        if limits["low"] is not None and limits["high"] is not None and limits["low"] > limits["high"]:
            errors.append(f"{where}: the lab's low limit is above its high limit.")
            continue
        fasting = item.get("fasting")
        if fasting is not None and (code != SERUM_GLUCOSE or not isinstance(fasting, bool)):
            errors.append(f"{where}: fasting is true or false, for serum_glucose only.")
            continue
        if analyte.computed and code == RATIO:
            # A ratio entered by hand is kept only when it cannot be computed.
            codes = {entry.get("analyte") for entry in items if isinstance(entry, dict)}
            if {CSF_GLUCOSE, SERUM_GLUCOSE} <= codes:
                errors.append(f"{where}: the ratio is computed from csf_glucose and serum_glucose; leave it out.")
                continue
        # The lab's limits are in the value's unit: converted with it, kept to four decimals.
        lab = {
            key: None if limit is None else (limit * factor).quantize(FOUR, ROUND_HALF_UP)
            for key, limit in limits.items()
        }
        exact = value * factor
        reference = reference_range(analyte, sex=sex, age_years=age, lab_low=lab["low"], lab_high=lab["high"])
        prepared[code] = PreparedValue(
            analyte=analyte,
            value=stored_value(exact, reference),
            entered_unit=entered_unit,
            lab_low=lab["low"],
            lab_high=lab["high"],
            fasting=fasting,
            computed=False,
            reference=reference,
            flag=flag_value(exact, reference),
            exact=exact,
        )
    if not errors and CSF_GLUCOSE in prepared and SERUM_GLUCOSE in prepared and RATIO in analytes:
        serum = prepared[SERUM_GLUCOSE].exact
        if serum <= 0:
            errors.append("serum_glucose must be above 0 to compute the CSF/serum glucose ratio.")
        else:
            analyte = analytes[RATIO]
            ratio = glucose_ratio(prepared[CSF_GLUCOSE].exact, serum)
            reference = reference_range(analyte, sex=sex, age_years=age)
            prepared[RATIO] = PreparedValue(
                analyte=analyte,
                value=stored_value(ratio, reference),
                entered_unit="",
                lab_low=None,
                lab_high=None,
                fasting=None,
                computed=True,
                reference=reference,
                flag=flag_value(ratio, reference),
                exact=ratio,
            )
    if errors:
        raise ValidationError({"values": errors})
    return sorted(prepared.values(), key=lambda value: (value.analyte.display_order, value.analyte.code))
