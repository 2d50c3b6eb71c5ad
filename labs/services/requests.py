"""Follow-up lab requests: asked for by a patient or a care-team clinician,
reviewed (approved or declined with a note) once.

Each service validates everything before its first write and runs in one
transaction, so bad input leaves nothing behind.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from rest_framework.request import Request

from labs.models import (
    LabRequest,
    LabRequestPriority,
    LabRequestStatus,
    LabTest,
)
from labs.services.care_team import require_care_team
from messaging.models import InboxKind, InboxPriority, InboxStatus
from messaging.selectors import inbox_items_for
from messaging.services import post_inbox_item, update_inbox_item
from patients.models import Patient
from portal.accounts.models import Role, User
from portal.audit.services import record_audit
from portal.crypto import seal_text
from portal.outbox.services import queue_notification
from portal.validation import REQUIRED

MAX_REASON = 1000


def review_hours() -> float:
    return float(getattr(settings, "AFTERCARE_LAB_REQUEST_REVIEW_HOURS", 4))


def _clean_tests(tests: object) -> list[str]:
    if not isinstance(tests, list | tuple) or not tests:
        raise ValidationError({"tests": [f"Choose at least one of: {', '.join(LabTest.values)}."]})
    if any(not isinstance(test, str) or test not in LabTest.values for test in tests):
        raise ValidationError({"tests": [f"Each test is one of: {', '.join(LabTest.values)}."]})
    if len(set(tests)) != len(tests):
        raise ValidationError({"tests": ["Each test at most once."]})
    return [test for test in LabTest.values if test in tests]  # a stable, readable order


def _clean_text(value: object, *, field: str, required: bool, limit: int = MAX_REASON) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: ["Must be text."]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: ["This field is required."]})
    if len(value) > limit:
        raise ValidationError({field: [f"At most {limit} characters."]})
    return value


@transaction.atomic
def request_labs(
    *,
    requested_by: User,
    patient: Patient,
    tests: object,
    reason: object,
    source_alert_id: int | None = None,
    priority: object = LabRequestPriority.ROUTINE,
    request: HttpRequest | Request | None = None,
) -> LabRequest:
    """A follow-up lab request: by the patient for themselves, or an order by a
    care-team clinician (API.md).

    - The patient's request becomes a lab_request inbox item due for review in
      ``AFTERCARE_LAB_REQUEST_REVIEW_HOURS`` (4 h by default; high priority when urgent).
    - A clinician's is an order: status ``ordered`` at once, decided by the clinician
      who made it (``reviewed_by``: the check constraint's "decided"), with no review
      item of their own to approve.
    """
    role = getattr(requested_by, "role", None)
    if role == Role.PATIENT:
        if patient.user_id != requested_by.pk:
            raise ValidationError({"patient": ["Unknown patient."]})
    else:
        require_care_team(requested_by, patient)
    errors: dict[str, list[str]] = {}
    cleaned_tests: list[str] = []
    cleaned_reason = ""
    try:
        cleaned_tests = _clean_tests(tests)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned_reason = _clean_text(reason, field="reason", required=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if priority is None or priority == "":
        priority = LabRequestPriority.ROUTINE
    if priority not in LabRequestPriority.values:
        errors["priority"] = [f"Use one of: {', '.join(LabRequestPriority.values)}."]
    if errors:
        raise ValidationError(errors)
    priority = str(priority)
    now = timezone.now()
    due_at = now + timedelta(hours=review_hours())
    ordered = role != Role.PATIENT
    lab_request = LabRequest.objects.create(
        patient=patient,
        tests=cleaned_tests,
        requested_by=requested_by,
        requested_at=now,
        due_at=due_at,
        priority=priority,
        source_alert_id=source_alert_id,
        **({"status": LabRequestStatus.ORDERED, "reviewed_by": requested_by, "reviewed_at": now} if ordered else {}),
    )
    # Sealed like a message body; the context names the row, so the row comes first.
    lab_request.reason_sealed = seal_text(cleaned_reason, context=lab_request.reason_seal_context)
    lab_request.save(update_fields=["reason_sealed"])
    if not ordered:
        post_inbox_item(
            kind=InboxKind.LAB_REQUEST,
            patient=patient,
            priority=InboxPriority.HIGH if priority == LabRequestPriority.URGENT else InboxPriority.NORMAL,
            summary=f"Lab request by the patient to review: {', '.join(test.upper() for test in cleaned_tests)}",
            source=lab_request,
            link=reverse("labs:request", args=[lab_request.pk]),
            due_at=due_at,
        )
    record_audit(
        actor=requested_by,
        action="lab_request.order" if ordered else "lab_request.create",
        patient_id=patient.pk,
        obj=lab_request,
        request=request,
    )
    return lab_request


def _close_request_item(lab_request: LabRequest, reviewer: User) -> None:
    """The review is the work the lab_request inbox item asked for: mark it done."""
    item = (
        inbox_items_for(reviewer)
        .filter(kind=InboxKind.LAB_REQUEST, source_type=lab_request._meta.label_lower, source_id=str(lab_request.pk))
        .exclude(status=InboxStatus.DONE)
        .first()
    )
    if item is not None:
        update_inbox_item(item=item, by=reviewer, status=InboxStatus.DONE)


@transaction.atomic
def review_lab_request(
    *,
    lab_request: LabRequest,
    reviewer: User,
    decision: object,
    note: object,
    request: HttpRequest | Request | None = None,
) -> LabRequest:
    """Approve or decline a pending request, once. A decline needs a note: the
    patient reads it. A patient who asked is told by email that there is an answer."""
    require_care_team(reviewer, lab_request.patient)
    errors: dict[str, list[str]] = {}
    if decision is None or decision == "":
        errors["decision"] = [REQUIRED]
    elif decision not in ("approve", "decline"):
        errors["decision"] = ["Choose approve or decline."]
    try:
        note = _clean_text(note, field="note", required=decision == "decline")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    status = LabRequestStatus.APPROVED if decision == "approve" else LabRequestStatus.DECLINED
    now = timezone.now()
    # Conditional update: two clinicians reviewing at once cannot both win.
    updated = LabRequest.objects.filter(pk=lab_request.pk, status=LabRequestStatus.PENDING).update(
        status=status, review_note=note, reviewed_by=reviewer, reviewed_at=now
    )
    if updated != 1:
        raise ValidationError("This request was already reviewed.")
    lab_request.refresh_from_db()
    _close_request_item(lab_request, reviewer)
    if lab_request.requested_by_id == lab_request.patient.user_id:
        # The patient asked and is waiting: tell them there is an answer (no details by email).
        queue_notification(
            recipient=lab_request.patient.user,
            kind="lab_request_reviewed",
            dedup_key=f"lab_request:{lab_request.pk}:reviewed",
            link=reverse("labs:request", args=[lab_request.pk]),
            source=lab_request,
        )
    record_audit(
        actor=reviewer, action="lab_request.review", patient_id=lab_request.patient_id, obj=lab_request, request=request
    )
    return lab_request
