"""The patients app's panels on the home page."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from patients import selectors
from patients.caregiver_views import CHOSEN_KEY
from patients.caregivers import patients_followed_by
from patients.presenters import day_context, entry_rows, trend_context, tz_of
from patients.trend import DEFAULT_DAYS, parse_days
from portal.accounts.models import Role


def panels(request) -> list[str]:
    user = request.user
    if user.role == Role.PATIENT:
        patient = selectors.own_patient(user)
        entry = selectors.latest_entry(patient)
        try:
            days = parse_days(request.GET.get("days"))
        except ValueError:
            days = DEFAULT_DAYS
        context = {
            "row": entry_rows([entry], user)[0] if entry else None,
            **trend_context(patient, user, days, chart_id="home"),
            **day_context(patient),
        }
        # Home is one's own record: a patient who was looking at someone they help is back.
        request.session.pop(CHOSEN_KEY, None)
        with timezone.override(tz_of(user)):
            panels = [render_to_string("patients/_dashboard_patient.html", context, request=request)]
        followed = list(patients_followed_by(user))
        if followed:
            panels.append(
                render_to_string("patients/_dashboard_caregiver.html", {"followed": followed}, request=request)
            )
        return panels
    if user.role == Role.CAREGIVER:
        followed = list(patients_followed_by(user))
        return [render_to_string("patients/_dashboard_caregiver.html", {"followed": followed}, request=request)]
    if user.role == Role.CLINICIAN:
        # Counts only: no patient's data is shown here, so nothing to audit.
        patients = selectors.patient_list(user)
        context = {"count": patients.count(), "with_alerts": patients.filter(open_alert_count__gt=0).count()}
        return [render_to_string("patients/_dashboard_clinician.html", context, request=request)]
    return []
