"""Writes of the quality app: a patient's feedback on the care after a procedure."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient
from patients.services.validation import FieldErrors, is_blank, whole_number
from portal.accounts.models import User
from portal.audit.services import record_audit
from portal.crypto import seal_text
from quality.models import Feedback
from quality.selectors import feedback_opens_at, feedback_state

SCORE_FIELDS = ("clarity", "responsiveness")
MAX_COMMENT = 2000


class FeedbackAlreadyGiven(Exception):
    """The procedure has its feedback: once per procedure (the API answers 409)."""


def check_feedback(data: dict[str, Any]) -> dict[str, Any]:
    """Scores 1-5 (whole numbers) and an optional comment; every problem named by its field."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for name in SCORE_FIELDS:
        value = data.get(name)
        score = whole_number(value)
        if is_blank(value):
            errors.add(name, "Choose a score from 1 to 5.")
        elif score is None or not 1 <= score <= 5:
            errors.add(name, "Give a whole number from 1 to 5.")
        else:
            cleaned[name] = score
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        errors.add("comment", "Write the comment as text.")
    elif len(comment.strip()) > MAX_COMMENT:
        errors.add("comment", f"Keep the comment to at most {MAX_COMMENT} characters.")
    else:
        cleaned["comment"] = comment.strip()
    errors.raise_if_any()
    return cleaned


@transaction.atomic
def give_feedback(*, patient: Patient, data: dict[str, Any], by: User) -> Feedback:
    """Record the patient's feedback on their latest procedure, once, from day 3.

    1. Validate the scores and the comment (400s name the field).
    2. Refuse before day 3 (400) and a second feedback (``FeedbackAlreadyGiven``: 409);
       two at the same moment are settled by the unique procedure column.
    3. Save, and seal the comment to its row (context ``feedback:<pk>``).
    """
    cleaned = check_feedback(data)
    state = feedback_state(patient)
    if state.procedure is None:
        raise ValidationError({"non_field_errors": ["There is no procedure to give feedback on."]})
    if state.given is not None:
        raise FeedbackAlreadyGiven
    if not state.due:
        opens = timezone.localtime(feedback_opens_at(state.procedure))
        raise ValidationError(
            {"non_field_errors": [f"Feedback opens on day 3 after the procedure ({opens:%d %b %Y, %H:%M})."]}
        )
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                patient=patient,
                procedure=state.procedure,
                clarity=cleaned["clarity"],
                responsiveness=cleaned["responsiveness"],
            )
    except IntegrityError:
        raise FeedbackAlreadyGiven from None
    if cleaned["comment"]:
        feedback.comment_sealed = seal_text(cleaned["comment"], context=feedback.comment_seal_context)
        feedback.save(update_fields=["comment_sealed"])
    record_audit(actor=by, action="quality.feedback.give", patient_id=patient.pk, obj=feedback)
    return feedback
