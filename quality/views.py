"""The quality pages: the patient's feedback form, and the clinic's figures for
quality leads and admins (with a CSV download per figure). Thin: parse, call a
selector or a service, render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from patients.presenters import tz_of
from patients.selectors import own_patient
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.clinic.selectors import Clinic, current_clinic
from portal.pages import role_required
from quality import presenters, selectors, services
from quality.definitions import definitions
from quality.forms import FeedbackForm
from quality.period import Period, parse_period, years_before


def _render(request, template: str, context: dict, **kwargs) -> HttpResponse:
    with timezone.override(tz_of(request.user)):
        return render(request, template, context, **kwargs)


# --- Patients: feedback --------------------------------------------------------------------


@role_required(Role.PATIENT)
def feedback(request: HttpRequest) -> HttpResponse:
    """The feedback form (also on the home page as a card): once per procedure, from day 3."""
    patient = own_patient(request.user)
    form = FeedbackForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.give_feedback(patient=patient, data=form.service_data(), by=request.user)
        except services.FeedbackAlreadyGiven:
            status = 409
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        else:
            messages.success(request, "Thank you for your feedback. It helps the clinic do better.")
            return redirect("dashboard")
    state = selectors.feedback_state(patient)
    return _render(request, "quality/feedback.html", {"form": form, "state": state}, status=status)


# --- Quality leads and admins: the figures ---------------------------------------------------


def _period(request: HttpRequest, clinic: Clinic) -> Period:
    today = timezone.now().astimezone(clinic.zone).date()
    return parse_period(request.GET.get("from"), request.GET.get("to"), today=today, zone=clinic.zone)


def _require_quality_reader(request: HttpRequest) -> None:
    if not selectors.may_read_quality(request.user):
        raise PermissionDenied


def _presets(today) -> list[tuple[str, str]]:
    """(label, query) of the usual periods."""
    year_start = today.replace(month=1, day=1)
    last_year = year_start.replace(year=year_start.year - 1)
    return [
        ("Last 3 months", f"from={(today - timedelta(days=91)).isoformat()}&to={today.isoformat()}"),
        ("Last 12 months", f"from={(years_before(today, 1) + timedelta(days=1)).isoformat()}&to={today.isoformat()}"),
        ("This year", f"from={year_start.isoformat()}&to={today.isoformat()}"),
        ("Last year", f"from={last_year.isoformat()}&to={(year_start - timedelta(days=1)).isoformat()}"),
    ]


@login_required
@require_GET
def quality_page(request: HttpRequest) -> HttpResponse:
    _require_quality_reader(request)
    clinic = current_clinic()
    today = timezone.now().astimezone(clinic.zone).date()
    context = {
        "definitions": definitions(),
        "presets": _presets(today),
        "raw_from": request.GET.get("from", ""),
        "raw_to": request.GET.get("to", ""),
        "clinic_zone": clinic.time_zone,
    }
    try:
        period = _period(request, clinic)
    except ValidationError as exc:
        context["period_errors"] = exc.message_dict
        return _render(request, "quality/page.html", context, status=400)
    figures = selectors.quality_figures(period)
    may_read_comments = selectors.may_read_feedback_comments(request.user)
    comments = selectors.feedback_comments(period) if may_read_comments else []
    # Patients' own words: each patient's read is in their access log (no name is shown
    # here), all of them written with one INSERT.
    audit_read(
        user=request.user,
        patient_ids=[row.patient_id for row in comments],
        request=request,
        action="quality.feedback.read",
    )
    context.update(
        {
            "period": period,
            "figures": presenters.all_figures(figures, clinic),
            "comments": comments,
            "may_read_comments": may_read_comments,
        }
    )
    return _render(request, "quality/page.html", context)


@login_required
@require_GET
def quality_csv(request: HttpRequest, figure: str) -> HttpResponse:
    """One figure's table as CSV (the same numbers and the same hidden cells as the page)."""
    _require_quality_reader(request)
    build = presenters.FIGURES.get(figure)
    if build is None:
        raise Http404
    clinic = current_clinic()
    try:
        period = _period(request, clinic)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    table = build(selectors.quality_figures(period), clinic)
    response = HttpResponse(presenters.csv_text(table), content_type="text/csv; charset=utf-8")
    name = f"aftercare-quality-{figure}-{period.first_day.isoformat()}-to-{period.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
