"""Blood culture results, typed in by a care-team clinician from the lab's report.

A blood culture answers an order (or an approved request) that asked for blood
cultures. It is read twice: a preliminary result at 48 hours and a final one at 5
days; each is "no growth" or the organism grown. Each result is a lab report of kind
blood with no values, so releasing it, showing it to the patient, the clinician's
review item and the FHIR export work as for any report.

Everything is checked before the first write, every problem named at once; the
order's row is locked while its earlier results are read, so two clinicians typing
the same stage at once cannot both save it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from labs.models import (
    CULTURE_STAGE_HOURS,
    BloodCultureResult,
    CultureGrowth,
    CultureStage,
    LabReport,
    LabReportKind,
    LabRequest,
    LabRequestStatus,
    LabTest,
)
from labs.services.care_team import require_care_team
from labs.services.reports import FUTURE_TOLERANCE, post_report_for_review
from messaging.models import InboxPriority
from patients.models import Patient
from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.validation import moment, object_id, too_long

ORGANISM_MAX = 200
ANSWERABLE = (LabRequestStatus.ORDERED, LabRequestStatus.APPROVED)


def _culture_order(patient: Patient, lab_request_id: object) -> LabRequest:
    """The patient's order for blood cultures, locked for the rest of the transaction."""
    if lab_request_id in (None, ""):
        raise ValidationError({"lab_request": ["Choose the order for blood cultures this result answers."]})
    number = object_id(lab_request_id, field="lab_request")
    order = LabRequest.objects.select_for_update().filter(pk=number, patient=patient).first()
    if order is None:
        # Another patient's order reads the same as a missing one.
        raise ValidationError({"lab_request": ["Unknown lab order for this patient."]})
    if order.status not in ANSWERABLE:
        raise ValidationError({"lab_request": ["Only an ordered or approved request can be answered by a result."]})
    if LabTest.BLOOD_CULTURE not in order.tests:
        raise ValidationError({"lab_request": ["This order did not ask for blood cultures."]})
    return order


def _clean_growth(no_growth: object, organism: object) -> tuple[str, str]:
    if no_growth in (None, ""):
        no_growth = False
    if not isinstance(no_growth, bool):
        raise ValidationError({"no_growth": ["Must be true or false."]})
    if organism is None:
        organism = ""
    if not isinstance(organism, str):
        raise ValidationError({"organism": ["Must be text."]})
    organism = " ".join(organism.split())  # one line, as the lab names it
    if len(organism) > ORGANISM_MAX:
        raise ValidationError({"organism": [too_long(ORGANISM_MAX)]})
    if no_growth and organism:
        raise ValidationError({"organism": ["Give either the organism grown or no growth, not both."]})
    if not no_growth and not organism:
        raise ValidationError({"organism": ["Name the organism grown, or record no growth."]})
    return (CultureGrowth.NO_GROWTH, "") if no_growth else (CultureGrowth.ORGANISM, organism)


def _earlier_results(order: LabRequest) -> dict[str, BloodCultureResult]:
    """The order's culture results that still stand (not entered in error), by stage."""
    rows = BloodCultureResult.objects.filter(
        report__answers_request=order, report__entered_in_error_at__isnull=True
    ).select_related("report")
    return {row.stage: row for row in rows}


def _check_sequence(
    *, stage: str, growth: str, collected_at: datetime | None, earlier: dict[str, BloodCultureResult]
) -> datetime | None:
    """A preliminary, then a final, each once; the final is of the same specimen. Returns
    the collection time (the final's is the preliminary's)."""
    if CultureStage.FINAL in earlier:
        raise ValidationError({"stage": ["This culture already has its final result."]})
    if stage == CultureStage.PRELIMINARY:
        if CultureStage.PRELIMINARY in earlier:
            raise ValidationError({"stage": ["This culture already has its preliminary result; enter the final one."]})
        return collected_at
    preliminary = earlier.get(CultureStage.PRELIMINARY)
    if preliminary is None:
        raise ValidationError(
            {"stage": ["Enter the preliminary (48 hour) result of this culture before the final one."]}
        )
    if growth == CultureGrowth.NO_GROWTH and preliminary.growth == CultureGrowth.ORGANISM:
        raise ValidationError(
            {
                "no_growth": [
                    "The preliminary result grew an organism; if it was wrong, mark that report as entered in error first."
                ]
            }
        )
    first_collected = preliminary.report.collected_at
    if collected_at is not None and collected_at != first_collected:
        raise ValidationError({"collected_at": ["The final result is of the same specimen as the preliminary one."]})
    return first_collected


def _check_collected(collected_at: datetime | None, patient: Patient, stage: str, growth: str) -> None:
    if collected_at is None:
        raise ValidationError({"collected_at": ["This field is required."]})
    if timezone.is_naive(collected_at):
        raise ValidationError({"collected_at": ["Give a time zone (for example 2026-11-23T08:00:00Z)."]})
    now = timezone.now()
    if collected_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"collected_at": ["The collection time cannot be in the future."]})
    if collected_at.date() < patient.date_of_birth:
        raise ValidationError({"collected_at": ["The collection time is before the patient's date of birth."]})
    hours = CULTURE_STAGE_HOURS[CultureStage(stage)]
    if growth == CultureGrowth.NO_GROWTH and collected_at + timedelta(hours=hours) > now + FUTURE_TOLERANCE:
        when = "48 hours" if stage == CultureStage.PRELIMINARY else "5 days"
        raise ValidationError({"stage": [f"No growth at {when} can be recorded only {when} after collection."]})


def _post_review_item(report: LabReport, result: BloodCultureResult) -> None:
    # Growth is for the care team to act on today; no growth is reviewed as usual. The
    # summary names no organism: the row says what kind of thing waits, the report the rest.
    if result.growth == CultureGrowth.ORGANISM:
        summary, priority = "Blood culture grew an organism: review today", InboxPriority.HIGH
    elif result.is_final:
        summary, priority = "Blood culture: final result to review", InboxPriority.NORMAL
    else:
        summary, priority = "Blood culture: preliminary result to review", InboxPriority.NORMAL
    post_report_for_review(report, summary=summary, priority=priority)


@transaction.atomic
def enter_blood_culture(
    *,
    entered_by: User,
    patient: Patient,
    lab_request_id: object,
    stage: object,
    no_growth: object = False,
    organism: object = "",
    collected_at: object = None,
    request: HttpRequest | Request | None = None,
) -> LabReport:
    """Record one reading of a blood culture as an unreleased lab report.

    1. Check the clinician, then the order (the patient's, asking for blood cultures;
       locked), the stage, the result and the collection time, all problems at once.
    2. Check the sequence against the order's standing results: a preliminary, then a
       final of the same specimen; "no growth" only once that much time has passed.
    3. Write the report (no file, no values) and its result; post the review item.
    """
    require_care_team(entered_by, patient)
    errors: dict[str, list[str]] = {}
    order: LabRequest | None = None
    growth = organism_text = ""
    try:
        order = _culture_order(patient, lab_request_id)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not isinstance(stage, str) or stage not in CultureStage.values:
        errors["stage"] = [f"Choose {' or '.join(CultureStage.values)}."]
    drawn: datetime | None = None
    try:
        drawn = moment(collected_at, field="collected_at")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        growth, organism_text = _clean_growth(no_growth, organism)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert order is not None and isinstance(stage, str)
    drawn = _check_sequence(stage=stage, growth=growth, collected_at=drawn, earlier=_earlier_results(order))
    _check_collected(drawn, patient, stage, growth)
    assert drawn is not None
    report = LabReport.objects.create(
        patient=patient,
        kind=LabReportKind.BLOOD,
        collected_at=drawn,
        uploaded_by=entered_by,
        content_type="",
        size=0,
        answers_request=order,
    )
    result = BloodCultureResult.objects.create(report=report, stage=stage, growth=growth, organism=organism_text)
    _post_review_item(report, result)
    record_audit(actor=entered_by, action="lab_report.culture", patient_id=patient.pk, obj=report, request=request)
    return report
