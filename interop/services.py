"""Every write of the interop app: lab results imported from a FHIR transaction
Bundle, and the integration clients (lab systems) an admin lets in.

The import reuses the labs app's own services (``upload_lab_report`` for a clinician,
``receive_lab_report`` for a lab system): values converted to the analyte's unit
through its ``AnalyteUnit`` rows, flagged, the same review item and inbox priority.
All the Bundle's reports are stored in ONE transaction: a problem with any of them
stores none, and the answer names every problem.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from interop.fhir.lab_bundle import BundleRefused, IncomingReport, IncomingValue, Problem, read_transaction, where
from interop.models import ImportedLabReport, IntegrationClient
from labs.models import Analyte, LabReport, LabReportKind, Specimen
from labs.ranges import age_in_years, reference_range
from labs.services import receive_lab_report, upload_lab_report
from labs.values import CSF_GLUCOSE, RATIO, SERUM_GLUCOSE
from patients.models import Patient
from patients.selectors import patients_visible_to
from portal.accounts.models import User
from portal.audit.services import record_audit

TOKEN_PREFIX = "afc_"  # noqa: S105 (a prefix that marks a token as ours, not a secret)
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class Sender:
    """Who sends the Bundle: a care-team clinician, or a lab system (integration client)."""

    user: User | None = None
    client: IntegrationClient | None = None


@dataclass(frozen=True)
class ImportedReport:
    incoming: IncomingReport
    report: LabReport
    created: bool  # False: the same report (identifier) was imported before; nothing new


# --- The lab import --------------------------------------------------------------------


def _patient(sender: Sender, report: IncomingReport, problems: list[Problem]) -> Patient | None:
    if sender.client is not None:
        patients = Patient.objects.filter(user__is_active=True)
    elif sender.user is not None:
        patients = patients_visible_to(sender.user)
    else:
        patients = Patient.objects.none()
    patient = patients.select_related("user").filter(pk=int(report.patient_id)).first()
    if patient is None:
        # One answer for "no such patient" and "not yours": existence is not revealed.
        message = (
            "The subject is not a patient of this clinic."
            if sender.client is not None
            else "The subject is not a patient of your care team."
        )
        problems.append(Problem(where(report.entry, "subject"), message, "not-found"))
    return patient


def _unit_of(analyte: Analyte, ucum: str) -> tuple[str, Decimal] | None:
    """The unit as the analyte spells it, and its factor to the analyte's unit."""
    if analyte.ucum_unit and ucum == analyte.ucum_unit:
        return analyte.unit, Decimal(1)
    for other in analyte.other_units.all():
        if other.ucum_unit and ucum == other.ucum_unit:
            return other.unit, other.factor
    return None


def _ucum_choices(analyte: Analyte) -> str:
    known = [analyte.ucum_unit, *(other.ucum_unit for other in analyte.other_units.all())]
    return ", ".join(unit for unit in known if unit) or "(none set: ask the clinic's admin)"


def _lab_range(
    value: IncomingValue, analyte: Analyte, factor: Decimal, patient: Patient, report: IncomingReport
) -> tuple[Any, Any]:
    """The lab's own range, unless it is the portal's usual range for this patient (then
    the usual one stands, with its open or closed limits and borderline band)."""
    if value.low is None and value.high is None:
        return None, None
    age = age_in_years(patient.date_of_birth, report.collected_at.date())
    usual = reference_range(analyte, sex=patient.sex, age_years=age)
    converted = [
        None if limit is None else (Decimal(str(limit)) * factor).quantize(FOUR, ROUND_HALF_UP)
        for limit in (value.low, value.high)
    ]
    if converted == [usual.low, usual.high]:
        return None, None
    return value.low, value.high


def _values(
    report: IncomingReport, patient: Patient, analytes: list[Analyte], problems: list[Problem]
) -> tuple[list[dict[str, Any]], list[int], list[Analyte]] | None:
    """The report's values as the labs app takes them, with the entry of each (item n is
    ``entries[n - 1]``), or None after noting the problems."""
    by_loinc = {analyte.loinc_code: analyte for analyte in analytes if analyte.loinc_code}
    by_code = {analyte.code: analyte for analyte in analytes}
    before = len(problems)
    found: list[tuple[IncomingValue, Analyte]] = []
    for value in report.values:
        analyte = by_loinc.get(value.loinc or "") or by_code.get(value.local_code or "")
        if analyte is None:
            problems.append(
                Problem(
                    where(value.entry, "code"), "Unknown LOINC code: no analyte of the portal has it.", "not-supported"
                )
            )
            continue
        found.append((value, analyte))
    codes = {analyte.code for _, analyte in found}
    items, entries = [], []
    for value, analyte in found:
        if analyte.code == RATIO and {CSF_GLUCOSE, SERUM_GLUCOSE} <= codes:
            continue  # computed here from the two glucose values, as on upload
        unit = _unit_of(analyte, value.ucum)
        if unit is None:
            problems.append(
                Problem(
                    where(value.entry, "valueQuantity", "code"),
                    f"Not a unit of {analyte.short_name} the portal can convert: send one of {_ucum_choices(analyte)}.",
                    "not-supported",
                )
            )
            continue
        low, high = _lab_range(value, analyte, unit[1], patient, report)
        items.append({"analyte": analyte.code, "value": value.value, "unit": unit[0], "low": low, "high": high})
        entries.append(value.entry)
    if len(problems) > before:
        return None
    return items, entries, [analyte for _, analyte in found]


def _kind(report: IncomingReport, analytes: list[Analyte], problems: list[Problem]) -> str | None:
    if report.kind is not None:
        if report.kind not in LabReportKind.values:
            problems.append(Problem(where(report.entry, "code"), "The report kind is csf or blood."))
            return None
        return report.kind
    return LabReportKind.CSF if any(a.specimen == Specimen.CSF for a in analytes) else LabReportKind.BLOOD


ITEM = re.compile(r"^Item (\d+)(?: \([^)]*\))?: ")
FIELDS = {"collected_at": "effectiveDateTime", "kind": "code", "file": "presentedForm", "patient": "subject"}


def _labs_problems(error: ValidationError, report: IncomingReport, entries: list[int]) -> list[Problem]:
    """The labs app's words, placed on the entry they are about."""
    problems = []
    for name, messages in error.message_dict.items():
        for message in messages:
            match = ITEM.match(message)
            if name == "values" and match and 0 < int(match.group(1)) <= len(entries):
                entry = entries[int(match.group(1)) - 1]
                problems.append(Problem(where(entry, "valueQuantity"), message[match.end() :].capitalize(), "value"))
            elif name in FIELDS:
                problems.append(Problem(where(report.entry, FIELDS[name]), message, "value"))
            else:
                problems.append(Problem(where(report.entry), message, "value"))
    return problems


def _claim(sender: Sender, report: IncomingReport) -> ImportedLabReport | None:
    """Write the identifier first: a second import of it (now or at the same time) fails here."""
    system, value = report.identifier
    try:
        with transaction.atomic():
            return ImportedLabReport.objects.create(
                identifier_system=system[:255],
                identifier_value=value[:255],
                client=sender.client,
                imported_by=sender.user,
            )
    except IntegrityError:
        return None


def _store(
    sender: Sender,
    report: IncomingReport,
    patient: Patient,
    problems: list[Problem],
    request: HttpRequest | Request | None,
) -> ImportedReport | None:
    analytes = list(Analyte.objects.prefetch_related("other_units"))
    prepared = _values(report, patient, analytes, problems)
    if prepared is None:
        return None
    items, entries, used = prepared
    kind = _kind(report, used, problems)
    if kind is None:
        return None
    claim = _claim(sender, report)
    if claim is None:
        system, value = report.identifier
        earlier = (
            ImportedLabReport.objects.select_related("report")
            .filter(identifier_system=system[:255], identifier_value=value[:255])
            .first()
        )
        if earlier is not None and earlier.report is not None and earlier.report.patient_id == patient.pk:
            return ImportedReport(incoming=report, report=earlier.report, created=False)
        problems.append(
            Problem(
                where(report.entry, "identifier"), "This identifier belongs to another report already.", "duplicate"
            )
        )
        return None
    fields: dict[str, Any] = {
        "patient": patient,
        "kind": kind,
        "collected_at": report.collected_at,
        "values": items,
        "file_content": report.file_content,
        "file_name": report.file_name,
        "request": request,
    }
    try:
        if sender.client is not None:
            stored = receive_lab_report(received_from=sender.client.name, **fields)
        elif sender.user is not None:
            stored = upload_lab_report(uploaded_by=sender.user, **fields)
        else:
            raise PermissionDenied  # neither a lab system nor a clinician
    except ValidationError as error:
        problems.extend(_labs_problems(error, report, entries))
        return None
    claim.report = stored
    claim.save(update_fields=["report"])
    return ImportedReport(incoming=report, report=stored, created=True)


def import_lab_bundle(
    *, raw: object, sender: Sender, request: HttpRequest | Request | None = None
) -> list[ImportedReport]:
    """Import a transaction Bundle's lab reports, all or none.

    1. Read the Bundle against FHIR R4 and the import's rules (``read_transaction``).
    2. For each DiagnosticReport: the patient (the sender's to send for), the analytes
       by LOINC code, the units by UCUM code.
    3. Claim its identifier (a resend returns the report made the first time) and store
       it through the labs app: converted, flagged, unreleased, the review item posted.
    4. Any problem: everything is rolled back and every problem is raised together.
    """
    incoming = read_transaction(raw)
    problems: list[Problem] = []
    imported: list[ImportedReport] = []
    with transaction.atomic():
        for report in incoming:
            patient = _patient(sender, report, problems)
            if patient is None:
                continue
            result = _store(sender, report, patient, problems, request)
            if result is not None:
                imported.append(result)
        if problems:
            raise BundleRefused(problems)
    return imported


# --- Integration clients ---------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_integration_client(
    *, name: str, created_by: User, request: HttpRequest | Request | None = None
) -> tuple[IntegrationClient, str]:
    """A new lab system and its token. The token is returned once, here: only its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name the lab system."]})
    if IntegrationClient.objects.filter(name=name).exists():
        raise ValidationError({"name": ["A client of this name exists; choose another name."]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = IntegrationClient.objects.create(
        name=name[:100], token_hash=token_hash(token), token_prefix=token[:10], created_by=created_by
    )
    record_audit(actor=created_by, action="integration_client.create", obj=client, request=request, detail=client.name)
    return client, token


@transaction.atomic
def revoke_integration_client(
    *, client: IntegrationClient, revoked_by: User, request: HttpRequest | Request | None = None
) -> bool:
    """End the client's access at once (its token is refused from the next request)."""
    now = timezone.now()
    updated = IntegrationClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=revoked_by
    )
    if updated:
        client.revoked_at, client.revoked_by = now, revoked_by
        record_audit(
            actor=revoked_by, action="integration_client.revoke", obj=client, request=request, detail=client.name
        )
    return bool(updated)
