"""Alert pages: the patient's "my alerts", the clinician's open alerts, one alert with
acknowledge/resolve (plain forms, enhanced by htmx), a patient's custom thresholds."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors, services
from alerts.models import AlertStatus
from alerts.raising import fired_rules
from patients.caregiver_views import page_patient
from patients.selectors import is_on_care_team
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.clinic.texts import without_urgent_instruction
from portal.pages import role_required


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages_ in exc.message_dict.values() for m in messages_]
    return [str(m) for m in exc.messages]


def _followed(request, action: str):
    """The patient a caregiver looks at (patients.caregiver_views.page_patient: 404 once
    revoked, "choose" when they follow several), or None for anyone's own alerts."""
    if request.user.role not in (Role.CAREGIVER, Role.PATIENT):
        return None
    return page_patient(request, may="", audit_action=action)


@login_required
def alert_list(request):
    status = request.GET.get("status") or ""
    if status not in AlertStatus.values:
        status = "" if request.user.role in (Role.PATIENT, Role.CAREGIVER) else AlertStatus.OPEN
    followed = _followed(request, "alerts.read")
    if followed == "choose":
        return redirect("patients:caregiving")
    if followed is not None:
        alerts = list(selectors.alert_list_for(request.user, patient_id=followed.pk, status=status or None)[:200])
    else:
        alerts = list(
            selectors.alert_list_for(request.user, status=status or None).select_related("patient__user")[:200]
        )
    audit_read(user=request.user, patient_ids=[a.patient_id for a in alerts], request=request, action="alerts.read")
    return render(
        request,
        "alerts/list.html",
        {
            "alerts": alerts,
            "status": status,
            "statuses": AlertStatus.choices,
            "is_clinician": request.user.role == "clinician",
            "followed": followed,
        },
    )


@login_required
def alert_detail(request, alert_id: int):
    followed = _followed(request, "alert.read")
    if followed == "choose":
        return redirect("patients:caregiving")
    if followed is not None:
        # One of the followed patient's alerts (alert_list_for checks the grant again).
        alert = selectors.alert_list_for(request.user, patient_id=followed.pk).filter(pk=alert_id).first()
        if alert is None:
            raise Http404
    else:
        alert = selectors.alert_for(request.user, alert_id)
    audit_read(user=request.user, patient_id=alert.patient_id, obj=alert, request=request, action="alert.read")
    try:  # the labs app's "request labs", pre-filled from this alert, when it is installed
        request_labs = f"{reverse('labs:request_new')}?{urlencode({'alert': alert.pk})}"
    except NoReverseMatch:
        request_labs = ""
    if followed is not None:
        request_labs = ""  # the patient or their care team asks for labs, not a caregiver
    is_clinician = request.user.role == "clinician"
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "is_clinician": is_clinician,
            "on_care_team": is_clinician and is_on_care_team(clinician=request.user, patient=alert.patient),
            "message_rest": without_urgent_instruction(alert.message),
            "fired_rules": fired_rules(alert),
            "request_labs": request_labs,
        },
    )


def _act(request, alert_id: int, action):
    alert = selectors.alert_for(request.user, alert_id)
    error = None
    try:
        alert = action(alert=alert, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        error = " ".join(_errors(exc))
    except PermissionDenied:
        raise Http404 from None
    alert = selectors.alert_for(request.user, alert.pk)
    if request.htmx:
        return render(request, "alerts/_actions.html", {"alert": alert, "error": error, "is_clinician": True})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Alert {alert.get_status_display().lower()}.")
    return redirect("alerts:detail", alert_id=alert.pk)


@login_required
@require_POST
@role_required(Role.CLINICIAN, refuse=Http404)
def acknowledge(request, alert_id: int):
    return _act(request, alert_id, services.acknowledge_alert)


@login_required
@require_POST
@role_required(Role.CLINICIAN, refuse=Http404)
def resolve(request, alert_id: int):
    return _act(request, alert_id, services.resolve_alert)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.CLINICIAN, refuse=Http404)
def thresholds(request, patient_id: int):
    patient = selectors.visible_patient(request.user, patient_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        code = request.POST.get("rule", "")
        raw = request.POST.get("value", "").strip()
        try:
            services.set_patient_threshold(patient=patient, rule_code=code, value=raw or None, set_by=request.user)
        except ValidationError as exc:
            errors = {code: _errors(exc)}
        else:
            messages.success(request, "Threshold saved." if raw else "Default threshold restored.")
            return redirect("alerts:thresholds", patient_id=patient.pk)
    audit_read(user=request.user, patient_id=patient.pk, request=request, action="alert_thresholds.read")
    rows = selectors.thresholds_of(patient)
    for row in rows:
        row["errors"] = errors.get(row["rule"], [])
        for key in ("default", "value", "min", "max"):
            row[f"{key}_text"] = services.plain_number(row[key])
    return render(request, "alerts/thresholds.html", {"patient": patient, "rows": rows})
