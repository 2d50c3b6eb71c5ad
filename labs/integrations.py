""" "Request labs" from an alert: what the new lab request is pre-filled with.

The alerts app sits beside this one (DESIGN.md: neither imports the other). It
registers its scoped alert look-up here in ``AlertsConfig.ready()``
(``register_alert_finder(alerts.selectors.alert_for)``), as ``portal/sealed.py``
does for sealed columns; without one, a link from an alert fails loudly
(``NoAlertFinder``) instead of quietly losing the alert it follows up.
``?patient=<id>&reason=...`` pre-fills the form without an alert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from labs.models import LabTest
from patients.models import Patient
from patients.selectors import patient_for
from portal.audit.services import audit_read
from portal.validation import object_id

MAX_REASON = 1000


@dataclass(frozen=True)
class Prefill:
    patient: Patient
    tests: list[str] = field(default_factory=list)
    reason: str = ""
    alert_id: int | None = None


class NoAlertFinder(LookupError):
    """The alerts app did not register its alert look-up (``AlertsConfig.ready()``)."""


# The alert a user may see, by id; raises Http404 for "missing" and "not yours" alike.
AlertFinder = Callable[[Any, int], Any]
_finders: dict[str, AlertFinder] = {}


def register_alert_finder(finder: AlertFinder) -> None:
    _finders["alert"] = finder


def _find_alert(user, alert_id: int):
    try:
        finder = _finders["alert"]
    except KeyError:
        raise NoAlertFinder("No alert finder is registered: the alerts app registers one in ready().") from None
    return finder(user, alert_id)  # raises Http404 itself


def _alert_words(alert) -> str:
    """ "Follow-up of alert #12 (Fever reported)": the rule's inbox line, no values."""
    rule = getattr(alert, "rule", None)
    label = getattr(rule, "summary", "") or getattr(rule, "code", "") or (str(rule) if rule else "")
    return f"Follow-up of alert #{alert.pk}" + (f" ({label})" if label else "")


def alert_prefill(user, params, *, request=None) -> Prefill:
    """Pre-fill from ``alert`` (an alert of a care-team patient) or ``patient``;
    ``reason`` and ``tests`` (repeatable) may be given by the linking page. An
    alert's words are part of the patient's record: reading them is audited."""
    alert = None
    raw_alert = params.get("alert")
    if raw_alert not in (None, ""):
        try:
            alert_id = int(raw_alert)
        except (TypeError, ValueError):
            raise Http404 from None
        alert = _find_alert(user, alert_id)
    if alert is not None:
        patient = patient_for(user, alert.patient_id)
    elif params.get("patient") not in (None, ""):
        patient = patient_for(user, params.get("patient"))
    else:
        raise ValidationError({"patient": ["Give patient or alert."]})
    tests = params.getlist("tests") if hasattr(params, "getlist") else list(params.get("tests") or [])
    reason = (params.get("reason") or "").strip()[:MAX_REASON]
    if alert is not None and not reason:
        reason = _alert_words(alert)
    if alert is not None:
        audit_read(user=user, patient_id=patient.pk, request=request, action="lab_request.prefill.read")
    return Prefill(
        patient=patient,
        tests=[test for test in LabTest.values if test in tests],
        reason=reason,
        alert_id=alert.pk if alert is not None else None,
    )


def verified_alert_id(user, patient: Patient, alert_id: object) -> int | None:
    """The alert a new request follows up, checked: one of this patient's alerts
    that the user may see. 400 naming ``alert`` otherwise."""
    if alert_id is None or alert_id == "":
        return None
    try:
        alert = _find_alert(user, object_id(alert_id, field="alert"))
    except Http404:
        alert = None
    if alert is None or alert.patient_id != patient.pk:
        raise ValidationError({"alert": ["Unknown alert for this patient."]})
    return alert.pk
