"""Reads of lab data, scoped to the caller.

``lab_report_for`` and ``lab_request_for`` are the one access check per resource:
"missing", "not yours" and (for a patient) "not released yet" are the same 404.
A patient sees only released reports that were not entered in error; a clinician
sees every report of their care-team patients.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from labs.models import LabReport, LabRequest, LabRequestStatus, LabValue
from patients.models import Patient
from patients.selectors import patients_visible_to
from portal.accounts.models import Role, User
from portal.validation import id_or_404


def _id(value: int | str | None) -> int:
    number = id_or_404(value)
    if number <= 0:
        raise Http404
    return number


def lab_reports_visible_to(user: User) -> QuerySet[LabReport]:
    patients = patients_visible_to(user).values("pk")
    reports = LabReport.objects.filter(patient__in=patients)
    if user.role == Role.PATIENT:
        reports = reports.released().valid()
    return reports


def released_reports_of(patient: Patient) -> QuerySet[LabReport]:
    """What the patient (and a caregiver they allow) reads: released reports not
    withdrawn, with their values."""
    return with_values(LabReport.objects.filter(patient=patient).released().valid())


def with_values(reports: QuerySet[LabReport]) -> QuerySet[LabReport]:
    return reports.select_related("patient__user", "uploaded_by", "released_by", "culture").prefetch_related(
        Prefetch("values", queryset=LabValue.objects.select_related("analyte").prefetch_related("analyte__other_units"))
    )


def lab_report_for(user: User, report_id: int | str | None, *, values: bool = True) -> LabReport:
    """One report the user may see, with its values (``values=False``: the bare row, as
    a file download needs; the access check is the same)."""
    reports = lab_reports_visible_to(user)
    report = (with_values(reports) if values else reports).filter(pk=_id(report_id)).first()
    if report is None:
        raise Http404
    return report


def lab_reports_of(user: User, patient: Patient) -> QuerySet[LabReport]:
    """One patient's reports as this user may see them (the patient is already checked)."""
    return with_values(lab_reports_visible_to(user).filter(patient=patient))


def unreleased_reports_for_clinician(user: User) -> QuerySet[LabReport]:
    return lab_reports_visible_to(user).filter(released_at__isnull=True, entered_in_error_at__isnull=True)


def lab_requests_visible_to(user: User) -> QuerySet[LabRequest]:
    patients = patients_visible_to(user).values("pk")
    return LabRequest.objects.filter(patient__in=patients).select_related(
        "patient__user", "requested_by", "reviewed_by"
    )


def lab_request_for(user: User, request_id: int | str | None) -> LabRequest:
    lab_request = lab_requests_visible_to(user).filter(pk=_id(request_id)).first()
    if lab_request is None:
        raise Http404
    return lab_request


def lab_requests_of(user: User, patient: Patient) -> QuerySet[LabRequest]:
    return lab_requests_visible_to(user).filter(patient=patient).prefetch_related("reports")


def pending_lab_requests_for(user: User) -> QuerySet[LabRequest]:
    """The clinician's review queue: pending requests of their patients, oldest due first."""
    return lab_requests_visible_to(user).filter(status=LabRequestStatus.PENDING).order_by("due_at", "id")
