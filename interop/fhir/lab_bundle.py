"""A transaction Bundle of lab results, read and checked against FHIR R4 (the models of
fhir.resources) and against what the import understands. Pure: no database.

``read_transaction`` returns one ``IncomingReport`` per DiagnosticReport with the
Observations its ``result`` names, or raises ``BundleRefused`` listing every problem,
each with a FHIRPath ``expression`` to where it is ("Bundle.entry[2].resource.valueQuantity.code")
and words that never repeat what was sent (a value, a name).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from interop.fhir import codes

MAX_ENTRIES = 1000  # a lab report holds at most 40 values: this is 24 full reports and more
MAX_PROBLEMS = 100
MODELS = {"DiagnosticReport": DiagnosticReport, "Observation": Observation}
FINAL = {"final", "amended", "corrected", "appended"}
FILE_TYPES = {"application/pdf", "text/plain"}


@dataclass(frozen=True)
class Problem:
    expression: str
    message: str
    code: str = "invalid"  # an OperationOutcome issue type (invalid, required, not-supported, ...)


class BundleRefused(Exception):
    """The Bundle cannot be imported; carries every problem (no input in the messages)."""

    def __init__(self, problems: list[Problem], status: int = 400) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems[:MAX_PROBLEMS]
        self.status = status


@dataclass
class IncomingValue:
    entry: int  # its index in Bundle.entry
    loinc: str | None
    local_code: str | None
    value: float
    ucum: str
    low: float | None = None
    high: float | None = None
    range_ucum: str | None = None


@dataclass
class IncomingReport:
    entry: int
    identifier: tuple[str, str]
    patient_id: str
    collected_at: datetime
    kind: str | None
    values: list[IncomingValue] = field(default_factory=list)
    file_content: bytes = b""
    file_name: str = ""


def where(index: int, *path: str | int) -> str:
    text = f"Bundle.entry[{index}].resource"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _loc_expression(prefix: str, loc: tuple) -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _model_problems(error: ValidationError, prefix: str) -> list[Problem]:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        if item["type"] == "json_invalid":
            message = "Wrong kind of value here (an object, a list or text is expected)."
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        code = "required" if item["type"] == "missing" else "structure" if "type" in item["type"] else "value"
        problems.append(Problem(_loc_expression(prefix, tuple(item["loc"])), message, code))
    return problems


def _check_with_model(model, resource: dict, prefix: str) -> list[Problem]:
    try:
        model.model_validate(resource)
    except ValidationError as error:
        return _model_problems(error, prefix)
    except (ValueError, TypeError, KeyError):  # the library's own errors on odd input
        return [Problem(prefix, "Not a valid FHIR R4 resource.", "structure")]
    return []


def _patient_id(reference) -> str | None:
    """``Patient/<id>``, or this server's absolute ``<base>/Patient/<id>``; any other
    server's patient is no patient of this clinic."""
    if not isinstance(reference, str):
        return None
    local = reference.removeprefix(codes.server_base() + "/")
    kind, _, rest = local.partition("/")
    if kind != "Patient" or not rest.isdigit():
        return None
    return rest


def _codes_of(concept: dict, system: str) -> list[str]:
    return [c.get("code") for c in concept.get("coding") or [] if c.get("system") == system and c.get("code")]


def _instant(text) -> datetime | None:
    if not isinstance(text, str) or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _value(index: int, resource: dict, problems: list[Problem]) -> IncomingValue | None:
    code = resource.get("code") or {}
    loinc = _codes_of(code, codes.LOINC)
    local = _codes_of(code, codes.local_system("analyte"))
    if not loinc and not local:
        problems.append(
            Problem(where(index, "code"), "Give the result's LOINC code (system http://loinc.org).", "required")
        )
        return None
    if resource.get("status") not in FINAL:
        problems.append(Problem(where(index, "status"), "Only final results are imported (final, amended, corrected)."))
        return None
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        problems.append(
            Problem(where(index, "valueQuantity"), "The value is missing: send it as valueQuantity.", "required")
        )
        return None
    if quantity.get("system") != codes.UCUM or not quantity.get("code"):
        problems.append(
            Problem(
                where(index, "valueQuantity", "code"),
                "Give the unit as a UCUM code (system http://unitsofmeasure.org).",
                "required",
            )
        )
        return None
    found = IncomingValue(
        entry=index,
        loinc=loinc[0] if loinc else None,
        local_code=local[0] if local else None,
        value=float(quantity["value"]),
        ucum=str(quantity["code"]),
    )
    ranges = resource.get("referenceRange") or []
    if ranges:
        limits = {key: ranges[0].get(key) for key in ("low", "high") if isinstance(ranges[0].get(key), dict)}
        units = {limit.get("code") for limit in limits.values()}
        if limits and (units != {found.ucum} or any(limit.get("value") is None for limit in limits.values())):
            problems.append(
                Problem(
                    where(index, "referenceRange", 0), "The reference range must be given in the unit of the value."
                )
            )
            return None
        found.low = float(limits["low"]["value"]) if "low" in limits else None
        found.high = float(limits["high"]["value"]) if "high" in limits else None
    return found


def _attached_file(index: int, report: dict, problems: list[Problem]) -> tuple[bytes, str] | None:
    for form in report.get("presentedForm") or []:
        if not form.get("data"):
            continue
        if form.get("contentType") not in FILE_TYPES:
            problems.append(
                Problem(where(index, "presentedForm", 0, "contentType"), "The report file must be a PDF or plain text.")
            )
            return None
        try:
            return base64.b64decode(form["data"], validate=True), "lab-report"
        except (binascii.Error, ValueError):
            problems.append(Problem(where(index, "presentedForm", 0, "data"), "The file is not valid base64."))
            return None
    return None


def _report(
    index: int, resource: dict, observations: dict, used: set, problems: list[Problem]
) -> IncomingReport | None:
    before = len(problems)
    identifiers = [
        (i.get("system"), i.get("value"))
        for i in resource.get("identifier") or []
        if i.get("system") and i.get("value")
    ]
    if not identifiers:
        problems.append(
            Problem(
                where(index, "identifier"),
                "Give the report an identifier (system and value): a resend is recognised by it.",
                "required",
            )
        )
    if resource.get("status") not in FINAL:
        problems.append(Problem(where(index, "status"), "Only final reports are imported (final, amended, corrected)."))
    patient_id = _patient_id((resource.get("subject") or {}).get("reference"))
    if patient_id is None:
        problems.append(
            Problem(where(index, "subject"), "The subject must be a patient of this clinic: Patient/<id>.", "not-found")
        )
    collected_at = _instant(resource.get("effectiveDateTime"))
    if collected_at is None:
        problems.append(
            Problem(
                where(index, "effectiveDateTime"),
                "Give the collection time with its time zone (effectiveDateTime).",
                "required",
            )
        )
    kinds = _codes_of(resource.get("code") or {}, codes.local_system("lab-report-kind"))
    values = []
    results = resource.get("result") or []
    if not results:
        problems.append(
            Problem(where(index, "result"), "A report needs at least one result (Observation).", "required")
        )
    for position, result in enumerate(results):
        target = observations.get(result.get("reference"))
        if target is None:
            problems.append(
                Problem(
                    where(index, "result", position),
                    "Each result must point at an Observation of this Bundle (its fullUrl).",
                    "not-found",
                )
            )
            continue
        if target in used:
            problems.append(Problem(where(index, "result", position), "An Observation belongs to one report only."))
            continue
        used.add(target)
        observation_index, observation = target, observations["#index"][target]
        subject = (observation.get("subject") or {}).get("reference")
        if subject is not None and _patient_id(subject) != patient_id:
            problems.append(
                Problem(where(observation_index, "subject"), "The Observation's subject is not the report's.")
            )
            continue
        value = _value(observation_index, observation, problems)
        if value is not None:
            values.append(value)
    attached = _attached_file(index, resource, problems)
    if len(problems) > before:
        return None
    assert patient_id is not None and collected_at is not None
    # The file: the lab's own (presentedForm), else the resources as received.
    if attached is None:
        received = [resource, *(observations["#index"][value.entry] for value in values)]
        attached = (json.dumps(received, indent=1, ensure_ascii=False).encode(), "fhir-diagnostic-report.json")
    return IncomingReport(
        entry=index,
        identifier=identifiers[0],
        patient_id=patient_id,
        collected_at=collected_at,
        kind=kinds[0] if kinds else None,
        values=values,
        file_content=attached[0],
        file_name=attached[1],
    )


def _shape(raw) -> list:
    """The Bundle's outline: a transaction with a list of entries, not too many."""
    if not isinstance(raw, dict) or raw.get("resourceType") != "Bundle":
        raise BundleRefused([Problem("Bundle", "Only a FHIR transaction Bundle can be posted here.", "not-supported")])
    if raw.get("type") != "transaction":
        raise BundleRefused([Problem("Bundle.type", "The Bundle must be of type transaction.", "not-supported")])
    entries = raw.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleRefused(
            [Problem("Bundle.entry", "Send at least one DiagnosticReport with its Observations.", "required")]
        )
    if len(entries) > MAX_ENTRIES:
        raise BundleRefused(
            [
                Problem(
                    "Bundle.entry",
                    f"At most {MAX_ENTRIES} entries in one Bundle; send the reports in several.",
                    "too-costly",
                )
            ],
            status=413,
        )
    return entries


def read_transaction(raw) -> list[IncomingReport]:
    entries = _shape(raw)
    problems: list[Problem] = []
    outline = {
        **raw,
        "entry": [{k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e for e in entries],
    }
    problems += _check_with_model(Bundle, outline, "Bundle")
    reports: list[tuple[int, dict]] = []
    observations: dict = {"#index": {}}
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in MODELS:
            problems.append(
                Problem(
                    f"Bundle.entry[{index}].resource",
                    "Only DiagnosticReport and Observation resources are accepted.",
                    "not-supported",
                )
            )
            continue
        request = entry.get("request") or {}
        if request.get("method") != "POST" or request.get("url") != kind:
            problems.append(
                Problem(f"Bundle.entry[{index}].request", f"Send each resource as POST {kind}.", "not-supported")
            )
        found = _check_with_model(MODELS[kind], resource, f"Bundle.entry[{index}].resource")
        problems += found
        if found:
            continue
        if kind == "DiagnosticReport":
            reports.append((index, resource))
        else:
            observations["#index"][index] = resource
            for name in filter(
                None, (entry.get("fullUrl"), f"Observation/{resource['id']}" if resource.get("id") else None)
            ):
                observations[name] = index
    if not reports and not problems:
        problems.append(Problem("Bundle.entry", "The Bundle holds no DiagnosticReport.", "required"))
    used: set = set()
    incoming = [
        report for index, resource in reports if (report := _report(index, resource, observations, used, problems))
    ]
    for index in observations["#index"]:
        if index not in used and not problems:
            problems.append(
                Problem(f"Bundle.entry[{index}].resource", "This Observation belongs to no DiagnosticReport (result).")
            )
    seen: set = set()
    for report in incoming:
        if report.identifier in seen:
            problems.append(
                Problem(where(report.entry, "identifier"), "Two reports of this Bundle share an identifier.")
            )
        seen.add(report.identifier)
    if problems:
        raise BundleRefused(problems)
    return incoming
