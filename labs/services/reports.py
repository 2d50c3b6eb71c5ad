"""Lab reports: uploading, receiving from a lab system, releasing and correcting
reports, and opening a report's file (an audited act).

Each service validates everything before its first write and runs in one
transaction, so bad input leaves nothing behind. The report file is sealed with
``portal.crypto`` inside that transaction, under the report's id, before it
reaches the database; its plaintext never touches disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from rest_framework.request import Request

from labs.models import (
    Analyte,
    Flag,
    LabReport,
    LabReportFile,
    LabReportKind,
    LabRequest,
    LabRequestStatus,
    LabValue,
    ReviewTrigger,
    file_context,
    file_name_context,
)
from labs.services.care_team import require_care_team
from labs.uploads import CheckedFile, check_report_file
from labs.values import SERUM_GLUCOSE, PreparedValue, prepare_values
from messaging.models import InboxKind, InboxPriority
from messaging.services import post_inbox_item
from patients.models import Patient
from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.crypto import SealedDataError, open_sealed, seal, seal_text
from portal.outbox.services import queue_notification
from portal.validation import NOT_TEXT, REQUIRED, FieldErrors, moment, object_id

logger = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(minutes=5)
# The audit log's role for an act of a lab system rather than a person.
RECEIVED_ROLE = "integration"
INTEGRITY_MESSAGE = (
    "This file failed its integrity check, so it is not shown. Nothing is wrong with your account; "
    "please ask your care team to upload the report again."
)


class ReportFileDamaged(Exception):
    """The stored file did not pass its integrity check. Carries no content."""


def _check_collected_at(raw: object, patient: Patient) -> datetime:
    collected_at = moment(raw, field="collected_at")
    if collected_at is None:
        raise ValidationError({"collected_at": ["This field is required."]})
    if timezone.is_naive(collected_at):
        raise ValidationError({"collected_at": ["Give a time zone (for example 2026-11-23T08:00:00Z)."]})
    if collected_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"collected_at": ["The collection time cannot be in the future."]})
    if collected_at.date() < patient.date_of_birth:
        raise ValidationError({"collected_at": ["The collection time is before the patient's date of birth."]})
    return collected_at


def _answerable_request(patient: Patient, answers_request_id: object) -> LabRequest | None:
    if answers_request_id is None or answers_request_id == "":
        return None
    pk = object_id(answers_request_id, field="answers_request")
    lab_request = LabRequest.objects.filter(pk=pk, patient=patient).first()
    if lab_request is None:
        raise ValidationError({"answers_request": ["Unknown lab request for this patient."]})
    # A clinician's order is decided as it is made: a report answers it like an approved request.
    if lab_request.status not in (LabRequestStatus.APPROVED, LabRequestStatus.ORDERED):
        raise ValidationError(
            {"answers_request": ["Only an ordered or approved lab request can be answered by a report."]}
        )
    return lab_request


@dataclass(frozen=True)
class _CheckedReport:
    kind: str
    collected_at: datetime
    file: CheckedFile
    values: list[PreparedValue]
    answers: LabRequest | None


def _check_report(
    *,
    patient: Patient,
    kind: object,
    collected_at: object,
    values: Any,
    file_content: bytes | None,
    file_name: str,
    file_oversized: bool,
    answers_request_id: object,
) -> _CheckedReport:
    """Every field of a new report, every problem collected at once (nothing written)."""
    errors = FieldErrors()
    checked = prepared = lab_request = moment_collected = None
    if kind is None or kind == "":
        errors.add("kind", REQUIRED)
    elif kind not in LabReportKind.values:
        errors.add("kind", "Choose csf or blood.")
    try:
        moment_collected = _check_collected_at(collected_at, patient)
    except ValidationError as exc:
        errors.take(exc)
    try:
        lab_request = _answerable_request(patient, answers_request_id)
    except ValidationError as exc:
        errors.take(exc)
    try:
        checked = check_report_file(file_content, original_name=file_name, oversized=file_oversized)
    except ValidationError as exc:
        errors.take(exc)
    try:
        # With a bad kind or time the values are still checked, to report every problem at once.
        prepared = prepare_values(
            raw=values,
            kind=LabReportKind.CSF if "kind" in errors else str(kind),
            sex=patient.sex,
            date_of_birth=patient.date_of_birth,
            collected_at=moment_collected or timezone.now(),
        )
    except ValidationError as exc:
        errors.take(exc)
    errors.raise_if_any()
    assert checked is not None and prepared is not None and moment_collected is not None
    return _CheckedReport(
        kind=str(kind), collected_at=moment_collected, file=checked, values=prepared, answers=lab_request
    )


def _store_report(
    *,
    patient: Patient,
    kind: str,
    collected_at: datetime,
    checked: _CheckedReport,
    uploaded_by: User | None,
    received_from: str,
) -> LabReport:
    """Create the report row (its id is the sealing context), seal file and name, save the
    values with their flags and the range they were flagged against, and post the review
    item to the care team's inbox (high priority when CLINICAL.md 4 says so)."""
    report = LabReport.objects.create(
        patient=patient,
        kind=kind,
        collected_at=collected_at,
        uploaded_by=uploaded_by,
        received_from=received_from,
        content_type=checked.file.content_type,
        size=len(checked.file.content),
        answers_request=checked.answers,
    )
    LabReportFile.objects.create(
        report=report,
        sealed=seal(checked.file.content, context=file_context(report.pk)),
        name_sealed=seal(checked.file.name.encode(), context=file_name_context(report.pk)),
    )
    LabValue.objects.bulk_create(
        [
            LabValue(
                report=report,
                analyte=item.analyte,
                value=item.value,
                unit=item.analyte.unit,
                entered_unit=item.entered_unit,
                lab_low=item.lab_low,
                lab_high=item.lab_high,
                ref_low=item.reference.low,
                ref_high=item.reference.high,
                ref_low_inclusive=item.reference.low_inclusive,
                ref_high_inclusive=item.reference.high_inclusive,
                ref_borderline_low=item.reference.borderline_low,
                range_source=item.reference.source,
                flag=item.flag,
                fasting=item.fasting,
                computed=item.computed,
            )
            for item in checked.values
        ]
    )
    _post_review_item(report, checked.values)
    return report


def _check_and_store(
    *,
    patient: Patient,
    kind: object,
    collected_at: object,
    values: Any,
    file_content: bytes | None,
    file_name: str,
    file_oversized: bool,
    answers_request_id: object,
    uploaded_by: User | None,
    received_from: str,
) -> LabReport:
    checked = _check_report(
        patient=patient,
        kind=kind,
        collected_at=collected_at,
        values=values,
        file_content=file_content,
        file_name=file_name,
        file_oversized=file_oversized,
        answers_request_id=answers_request_id,
    )
    return _store_report(
        patient=patient,
        kind=checked.kind,
        collected_at=checked.collected_at,
        checked=checked,
        uploaded_by=uploaded_by,
        received_from=received_from,
    )


@transaction.atomic
def upload_lab_report(
    *,
    uploaded_by: User,
    patient: Patient,
    kind: object,
    collected_at: object,
    values: Any,
    file_content: bytes | None,
    file_name: str = "",
    file_oversized: bool = False,
    answers_request_id: object = None,
    request: HttpRequest | Request | None = None,
) -> LabReport:
    """Store a clinician's lab report: the sealed file, the flagged values, the
    clinician review item and an audit event.

    1. Check the clinician, then every field, collecting all errors (nothing written yet).
    2. Create the report row (its id is the sealing context), seal file and name, save.
    3. Save the values with their flags and the range they were flagged against.
    4. Post the review item to the care team's inbox (high priority when CLINICAL.md 4 says so).
    """
    require_care_team(uploaded_by, patient)
    report = _check_and_store(
        patient=patient,
        kind=kind,
        collected_at=collected_at,
        values=values,
        file_content=file_content,
        file_name=file_name,
        file_oversized=file_oversized,
        answers_request_id=answers_request_id,
        uploaded_by=uploaded_by,
        received_from="",
    )
    record_audit(actor=uploaded_by, action="lab_report.upload", patient_id=patient.pk, obj=report, request=request)
    return report


@transaction.atomic
def receive_lab_report(
    *,
    received_from: str,
    patient: Patient,
    kind: str,
    collected_at: datetime | None,
    values: Any,
    file_content: bytes | None,
    file_name: str = "",
    request: HttpRequest | Request | None = None,
) -> LabReport:
    """Store a report a lab system sent (``received_from`` names it; the caller has
    checked the system's credentials and the patient): exactly what an upload
    stores, unreleased, with the same flags, review item and inbox priority. The
    audit event names the system (no person sent it)."""
    received_from = (received_from or "").strip()[:100]
    if not received_from:
        raise ValidationError({"received_from": ["Name the lab system that sent the report."]})
    if not patient.user.is_active:
        raise ValidationError({"patient": ["Unknown patient."]})
    report = _check_and_store(
        patient=patient,
        kind=kind,
        collected_at=collected_at,
        values=values,
        file_content=file_content,
        file_name=file_name,
        file_oversized=False,
        answers_request_id=None,
        uploaded_by=None,
        received_from=received_from,
    )
    record_audit(
        actor=None,
        role=RECEIVED_ROLE,
        action="lab_report.receive",
        patient_id=patient.pk,
        obj=report,
        request=request,
        detail=f"from {received_from}",
    )
    return report


@dataclass(frozen=True)
class ReviewFinding:
    analyte: Analyte
    words: str


def review_findings(prepared: list[PreparedValue]) -> list[ReviewFinding]:
    """The values that make a new report a contact_provider (high priority) item,
    by each analyte's ``review_when`` (CLINICAL.md section 4). The values alone
    decide: a raised CRP or ESR counts whatever the diary says [IDSA15]."""
    codes = {item.analyte.code for item in prepared}
    findings = []
    for item in prepared:
        trigger = item.analyte.review_when
        if trigger == ReviewTrigger.HIGH and item.flag == Flag.HIGH:
            findings.append(ReviewFinding(item.analyte, "above range"))
        elif trigger == ReviewTrigger.LOW and item.flag == Flag.LOW:
            borderline = item.reference.borderline_low is not None and item.value >= item.reference.borderline_low
            findings.append(ReviewFinding(item.analyte, "borderline low" if borderline else "low"))
        elif trigger == ReviewTrigger.OUTSIDE and item.flag in (Flag.LOW, Flag.HIGH):
            findings.append(ReviewFinding(item.analyte, "outside range"))
        elif (
            trigger == ReviewTrigger.LOW_WITHOUT_BLOOD_GLUCOSE and item.flag == Flag.LOW and SERUM_GLUCOSE not in codes
        ):
            findings.append(ReviewFinding(item.analyte, "low: ask for a blood glucose"))
    return findings


def _post_review_item(report: LabReport, prepared: list[PreparedValue]) -> None:
    findings = review_findings(prepared)
    label = report.get_kind_display()
    if findings:
        summary = f"{label} report needs review today: " + ", ".join(
            f"{finding.analyte.short_name} {finding.words}" for finding in findings
        )
        priority = InboxPriority.HIGH
    else:
        summary = f"New {label} report to review"
        priority = InboxPriority.NORMAL
    post_report_for_review(report, summary=summary, priority=priority)


def post_report_for_review(report: LabReport, *, summary: str, priority: str) -> None:
    """The care team's inbox item for a report to review (a result, or a blood culture's reading)."""
    post_inbox_item(
        kind=InboxKind.LAB_RESULT,
        patient=report.patient,
        priority=priority,
        summary=summary,
        source=report,
        link=reverse("labs:report", args=[report.pk]),
    )


RELEASE_NOTE_MAX = 1000


def check_release_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationError({"note": ["Must be text."]})
    note = note.strip()
    if len(note) > RELEASE_NOTE_MAX:
        raise ValidationError({"note": [f"At most {RELEASE_NOTE_MAX} characters."]})
    return note


@transaction.atomic
def release_lab_report(
    *,
    report: LabReport,
    released_by: User,
    note: str | None = "",
    request: HttpRequest | Request | None = None,
) -> LabReport:
    """Make the report visible to the patient, with the clinician's optional note to
    them shown above the results, and tell them (no health data in the email)."""
    require_care_team(released_by, report.patient)
    if report.is_entered_in_error:
        raise ValidationError("A report entered in error cannot be released.")
    note = check_release_note(note)
    now = timezone.now()
    sealed_note = seal_text(note, context=f"lab_report_note:{report.pk}") if note else b""
    updated = LabReport.objects.filter(pk=report.pk, released_at__isnull=True, entered_in_error_at__isnull=True).update(
        released_at=now, released_by=released_by, release_note_sealed=sealed_note
    )
    if updated != 1:
        raise ValidationError("This report was already released.")
    report.released_at, report.released_by, report.release_note_sealed = now, released_by, sealed_note
    queue_notification(
        recipient=report.patient.user,
        kind="lab_released",
        dedup_key=f"lab_report:{report.pk}:released",
        link=reverse("labs:report", args=[report.pk]),
        source=report,
    )
    record_audit(
        actor=released_by, action="lab_report.release", patient_id=report.patient_id, obj=report, request=request
    )
    return report


@transaction.atomic
def mark_report_entered_in_error(
    *, report: LabReport, marked_by: User, reason: object, request: HttpRequest | Request | None = None
) -> LabReport:
    """Withdraw a report uploaded by mistake: it stays, hidden from the patient."""
    require_care_team(marked_by, report.patient)
    if reason is not None and not isinstance(reason, str):
        raise ValidationError({"reason": [NOT_TEXT]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say briefly why the report is withdrawn."]})
    if len(reason) > 200:
        raise ValidationError({"reason": ["At most 200 characters."]})
    now = timezone.now()
    updated = LabReport.objects.filter(pk=report.pk, entered_in_error_at__isnull=True).update(
        entered_in_error_at=now, entered_in_error_by=marked_by, entered_in_error_reason=reason
    )
    if updated != 1:
        raise ValidationError("This report is already marked as entered in error.")
    report.entered_in_error_at, report.entered_in_error_by, report.entered_in_error_reason = now, marked_by, reason
    record_audit(
        actor=marked_by, action="lab_report.entered_in_error", patient_id=report.patient_id, obj=report, request=request
    )
    return report


@dataclass(frozen=True)
class OpenedFile:
    content: bytes
    content_type: str
    name: str


def open_report_file(*, report: LabReport, user: User, request: HttpRequest | Request | None = None) -> OpenedFile:
    """Decrypt the report's file for an allowed reader (checked by ``lab_report_for``).

    Every download is audited, the patient's own included. A blob that fails its
    integrity check is never returned: the failure is audited (as its own event,
    outside any transaction, so it stays) and ``ReportFileDamaged`` is raised.
    """
    stored = LabReportFile.objects.filter(report_id=report.pk).first()
    try:
        if stored is None:
            raise SealedDataError("missing")
        content = open_sealed(bytes(stored.sealed), context=file_context(report.pk))
        name = open_sealed(bytes(stored.name_sealed), context=file_name_context(report.pk)).decode("utf-8")
    except (SealedDataError, UnicodeDecodeError):
        logger.warning("lab report %s: stored file failed its integrity check", report.pk)
        record_audit(
            actor=user, action="lab_report.integrity_failure", patient_id=report.patient_id, obj=report, request=request
        )
        raise ReportFileDamaged from None
    record_audit(actor=user, action="lab_report.download", patient_id=report.patient_id, obj=report, request=request)
    return OpenedFile(content=content, content_type=report.content_type, name=name)
