"""Reads of the FHIR interface: whose record a caller may export, and the record
itself, section by section, in pages, changed since a moment.

``patient_for_export`` is the one access check of ``$everything``: it is the patients
app's ``patient_for`` (the patient themselves, or a clinician of their active care
team; "missing" and "not yours" alike are a 404). What of the record a reader gets is
``export_scope_for``: everything for those two. A caregiver the patient follows
(patients.caregivers) gets their part, decided here and nowhere else: the diary, alerts
and released labs; never the care team nor the medication log.

A page is a run of *records* in one fixed order: the patient, the procedures, the care
team, the diary entries (each its QuestionnaireResponse with its Observations), the
medication doses, the alerts, then the released lab reports (each its DiagnosticReport
with its Observations). A record is never split across pages. Each section is one
query (two for the labs: the reports, then their values), whatever the page holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from alerts.models import Alert
from interop.models import ImportedLabReport
from labs.models import LabReport, LabValue
from patients.caregivers import FOLLOWER_ROLES, followed_patient, follows
from patients.models import CareTeamGrant, MedicationDose, Patient, Procedure, SymptomEntry
from patients.selectors import patient_for
from portal.accounts.models import Role, User


@dataclass(frozen=True)
class ExportScope:
    diary: bool = True
    medications: bool = True
    alerts: bool = True
    labs: bool = True
    care_team: bool = True


def patient_for_export(user: User, patient_id: int | str | None) -> Patient:
    """The patient themselves, a care-team clinician, or a caregiver who follows them; else 404."""
    if user.role in FOLLOWER_ROLES and follows(user, patient_id):
        return followed_patient(user, patient_id)
    return patient_for(user, patient_id)


# What a caregiver reads (DESIGN.md): the diary, alerts and released labs; never the
# care-team grants, nor the medication log (not shared with caregivers on the pages).
CAREGIVER_SCOPE = ExportScope(medications=False, care_team=False)


def export_scope_for(user: User, patient: Patient) -> ExportScope:
    """What of ``patient``'s record ``user`` may export (checked by ``patient_for_export``):
    the whole record, for the patient and their care team; a caregiver's part for a caregiver."""
    if user.pk == patient.user_id or user.role == Role.CLINICIAN:
        return ExportScope()
    return CAREGIVER_SCOPE


@dataclass(frozen=True)
class Section:
    """One kind of record: its rows (ordered by id, for stable pages) and how many."""

    name: str
    rows: Callable[[int, int], list[Any]]  # (start, stop) -> rows of that slice
    count: Callable[[], int]  # a COUNT query, asked only when a page starts past this section's start


def _since(queryset: QuerySet[Any], since: datetime | None, *fields: str) -> QuerySet[Any]:
    if since is None:
        return queryset
    changed = Q()
    for field in fields:
        changed |= Q(**{f"{field}__gte": since})
    return queryset.filter(changed)


def _sliced(queryset: QuerySet[Any]) -> Callable[[int, int], list[Any]]:
    return lambda start, stop: list(queryset[start:stop])


def record_sections(patient: Patient, scope: ExportScope, *, since: datetime | None) -> list[Section]:
    """The record's sections in their order (nothing is read yet)."""
    sections: list[Section] = []
    patients = _since(Patient.objects.filter(pk=patient.pk), since, "updated_at")
    sections.append(Section("patient", _sliced(patients.select_related("user")), patients.count))
    procedures = _since(
        Procedure.objects.filter(patient=patient).select_related("performed_by"), since, "created_at"
    ).order_by("performed_at", "id")
    sections.append(Section("procedure", _sliced(procedures), procedures.count))
    if scope.care_team:
        grants = CareTeamGrant.objects.filter(patient=patient).select_related("clinician").order_by("granted_at", "id")

        def team(start: int, stop: int) -> list[Any]:
            """One record, the whole team: when it has a grant (changed since ``since``)."""
            found = list(grants)
            if since is not None and not any(
                grant.granted_at >= since or (grant.revoked_at is not None and grant.revoked_at >= since)
                for grant in found
            ):
                found = []
            return [found][start:stop] if found else []

        sections.append(Section("care_team", team, lambda: len(team(0, 1))))
    if scope.diary:
        entries = _since(
            SymptomEntry.objects.filter(patient=patient).select_related("entered_by", "patient"),
            since,
            "created_at",
            "entered_in_error_at",
        ).order_by("recorded_at", "id")
        sections.append(Section("entry", _sliced(entries), entries.count))
    if scope.medications:
        doses = _since(
            MedicationDose.objects.filter(patient=patient).select_related("drug"),
            since,
            "created_at",
            "entered_in_error_at",
        ).order_by("taken_at", "id")
        sections.append(Section("dose", _sliced(doses), doses.count))
    if scope.alerts:
        alerts = _since(
            Alert.objects.filter(patient=patient).select_related("rule"),
            since,
            "created_at",
            "acknowledged_at",
            "resolved_at",
        ).order_by("created_at", "id")
        sections.append(Section("alert", _sliced(alerts), alerts.count))
    if scope.labs:
        # Released reports only, as the patient sees them (a report withdrawn as entered
        # in error is no longer part of the record).
        reports = _since(LabReport.objects.filter(patient=patient).released().valid(), since, "released_at").order_by(
            "collected_at", "id"
        )
        with_values = reports.select_related("culture").prefetch_related(
            Prefetch(
                "values",
                queryset=LabValue.objects.select_related("analyte").prefetch_related("analyte__other_units"),
            ),
            Prefetch("fhir_import", queryset=ImportedLabReport.objects.all()),
        )
        sections.append(Section("lab_report", _sliced(with_values), reports.count))
    return sections


def page_of(sections: list[Section], *, offset: int, count: int) -> tuple[list[tuple[str, object]], bool]:
    """(section name, row) of the records ``offset`` .. ``offset + count`` of the whole
    sequence, and whether more follow. One query per section the page reaches; a
    section is counted only when the page starts past its beginning (a first page
    counts nothing: one record more than asked tells whether there is a next page)."""
    found: list[tuple[str, object]] = []
    skip, wanted = offset, count + 1
    for section in sections:
        if wanted <= 0:
            break
        if skip:
            size = section.count()
            if skip >= size:
                skip -= size
                continue
        rows = section.rows(skip, skip + wanted)
        skip = 0
        found += [(section.name, row) for row in rows]
        wanted -= len(rows)
    return found[:count], len(found) > count
