"""Structured lab values on their way in: parsed, validated, converted, flagged.

``prepare_values`` is pure validation (no writes): it returns the values ready to
save, or raises ``ValidationError({"values": [...]})`` listing every problem by its
item number. Messages never echo what was sent.
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
    FOUR_PLACES,
    ReferenceRange,
    age_in_years,
    flag_value,
    glucose_ratio,
    reference_range,
    to_stored_unit,
)

RATIO = "csf_serum_glucose_ratio"
CSF_GLUCOSE = "csf_glucose"
SERUM_GLUCOSE = "serum_glucose"
MAX_VALUES = 40
MAX_NUMBER = Decimal("99999999")
ALLOWED_KEYS = {"analyte", "value", "unit", "low", "high", "fasting"}


@dataclass(frozen=True)
class PreparedValue:
    analyte: Analyte
    value: Decimal
    entered_unit: str
    lab_low: Decimal | None
    lab_high: Decimal | None
    fasting: bool | None
    computed: bool
    reference: ReferenceRange
    flag: str


def _normalise_unit(unit: str) -> str:
    table = str.maketrans({"µ": "u", "μ": "u", "₂": "2", "⁶": "6", "\u00d7": "x"})
    return unit.translate(table).replace(" ", "").lower()


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
    return number.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


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
    analytes = {analyte.code: analyte for analyte in Analyte.objects.all()}
    age = age_in_years(date_of_birth, collected_at.date()) if date_of_birth else None
    errors: list[str] = []
    prepared: dict[str, PreparedValue] = {}
    for number, item in enumerate(items, start=1):
        where = f"Item {number}"
        if not isinstance(item, dict):
            errors.append(f'{where}: each value must be an object with "analyte" and "value".')
            continue
        if set(item) - ALLOWED_KEYS:
            errors.append(f"{where}: only analyte, value, unit, low, high and fasting are accepted.")
            continue
        code = item.get("analyte")
        analyte = analytes.get(code) if isinstance(code, str) else None
        if analyte is None:
            errors.append(f"{where}: unknown analyte.")
            continue
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
        unit = item.get("unit") or ""
        if not isinstance(unit, str):
            errors.append(f"{where}: unit must be text.")
            continue
        entered_unit = ""
        if unit:
            accepted = {_normalise_unit(analyte.unit): analyte.unit}
            if analyte.si_unit:
                accepted[_normalise_unit(analyte.si_unit)] = analyte.si_unit
            canonical = accepted.get(_normalise_unit(unit))
            if canonical is None:
                errors.append(f"{where}: {code} is entered in {' or '.join(sorted(set(accepted.values())))}.")
                continue
            if canonical != analyte.unit:
                entered_unit = canonical
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
        if entered_unit:
            value = to_stored_unit(value, analyte, entered_unit)
            limits = {
                key: None if limit is None else to_stored_unit(limit, analyte, entered_unit)
                for key, limit in limits.items()
            }
        reference = reference_range(analyte, sex=sex, age_years=age, lab_low=limits["low"], lab_high=limits["high"])
        prepared[code] = PreparedValue(
            analyte=analyte,
            value=value,
            entered_unit=entered_unit,
            lab_low=limits["low"],
            lab_high=limits["high"],
            fasting=fasting,
            computed=False,
            reference=reference,
            flag=flag_value(value, reference),
        )
    if not errors and CSF_GLUCOSE in prepared and SERUM_GLUCOSE in prepared and RATIO in analytes:
        serum = prepared[SERUM_GLUCOSE].value
        if serum <= 0:
            errors.append("serum_glucose must be above 0 to compute the CSF/serum glucose ratio.")
        else:
            analyte = analytes[RATIO]
            ratio = glucose_ratio(prepared[CSF_GLUCOSE].value, serum, places=max(analyte.decimal_places, 2))
            reference = reference_range(analyte, sex=sex, age_years=age)
            prepared[RATIO] = PreparedValue(
                analyte=analyte,
                value=ratio,
                entered_unit="",
                lab_low=None,
                lab_high=None,
                fasting=None,
                computed=True,
                reference=reference,
                flag=flag_value(ratio, reference),
            )
    if errors:
        raise ValidationError({"values": errors})
    return sorted(prepared.values(), key=lambda value: (value.analyte.display_order, value.analyte.code))
