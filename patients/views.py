"""Patient and clinician pages of the patients app. Thin: parse, call a service or
selector, render. Clinician reads of a patient's data write an audit event."""

from __future__ import annotations

from decimal import Decimal
from functools import partial, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from patients import selectors, services
from patients.access_log import access_log_lines
from patients.caregiver_views import page_patient
from patients.caregivers import caregivers_of
from patients.clinical import chart_thresholds, temperature_limits
from patients.diary import log_medication_dose, logged_dose_again, submit_symptom_entry
from patients.forms import AddClinicianForm, EnrolPatientForm, HealthForm, MedicationForm, PhoneForm, SymptomForm
from patients.medication_alerts import POISON_CONTROL_PHONE_HREF
from patients.pain_plan import pain_plan_for
from patients.plugins import chart_panel_sources
from patients.presenters import (
    day_context,
    entry_rows,
    format_temperature,
    local,
    recommendation_cards,
    temperature_text,
    trend_context,
    tz_of,
)
from patients.routing import responsible_for
from patients.serializers import health_of
from patients.trend import DEFAULT_DAYS, parse_days
from patients.units import exact_fahrenheit, unit_symbol
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.clinic.selectors import current_clinic
from portal.pages import role_required

HISTORY_PAGE_SIZE = 50
DIARY_TOKENS_KEY = "patients_diary_tokens"


def patient_page(view=None, *, caregivers: str | None = None, audit_action: str = ""):
    """A page of the signed-in patient's own record: the view gets their Patient.

    ``caregivers``: a caregiver sees this page too, for the patient they chose
    (``"read"``, or the permission it needs: ``"log_symptoms"``), the read audited as
    ``audit_action`` (patients.caregiver_views.page_patient)."""
    if view is None:
        return partial(patient_page, caregivers=caregivers, audit_action=audit_action)
    roles = (Role.PATIENT, Role.CAREGIVER) if caregivers else (Role.PATIENT,)

    @role_required(*roles)
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if caregivers:
            may = "" if caregivers == "read" else caregivers
            followed = page_patient(request, may=may, audit_action=audit_action)
            if followed == "choose":
                return redirect("patients:caregiving")
            if followed is not None:
                return view(request, followed, *args, **kwargs)
        return view(request, selectors.own_patient(request.user), *args, **kwargs)

    return wrapper


def _render(request, template: str, context: dict, **kwargs):
    """Render in the reader's time zone: every date on the page is theirs."""
    with timezone.override(tz_of(request.user)):
        return render(request, template, context, **kwargs)


def _days(request) -> int:
    try:
        return parse_days(request.GET.get("days"))
    except ValueError:
        return DEFAULT_DAYS


def _attach_errors(form, exc: ValidationError, mapping: dict | None = None) -> None:
    mapping = mapping or {}
    for field, errors in exc.message_dict.items():
        target = mapping.get(field, field)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)


# --- The diary ---------------------------------------------------------------------------


@patient_page(caregivers="log_symptoms", audit_action="diary.read")
def diary(request, patient):
    """The symptom form. After saving, the same response shows the recommendations
    (highest severity first): they exist only at this moment, so they are not
    carried through a redirect (no health data in cookies or URLs)."""
    units = request.user.display_units
    form = SymptomForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("form_token") or ""
        used = request.session.get(DIARY_TOKENS_KEY, [])
        if token and token in used:
            messages.info(request, "This entry was already saved.")
            return redirect("patients:history")
        try:
            submission = submit_symptom_entry(patient=patient, data=form.service_data(), entered_by=request.user)
        except ValidationError as exc:
            _attach_errors(form, exc, SymptomForm.FIELD_OF_SERVICE_ERROR)
        else:
            if token:
                request.session[DIARY_TOKENS_KEY] = [*used, token][-20:]
            rows = entry_rows([submission.entry], request.user)
            responsible = submission.responsible
            context = {
                "row": rows[0],
                "cards": recommendation_cards(submission.recommendations),
                "audience": responsible.audience if responsible else "",
                "reachable": responsible.reachable if responsible else True,
                "fever": _fever_words(patient, units),
                "clinic": current_clinic(),
                **day_context(patient),
            }
            return _render(request, "patients/diary_saved.html", context)
    fever_text = f"{_fever_words(patient, units)[0]} or higher"
    unanswered = sum(1 for field in form.question_fields() if field.errors)
    context = {"form": form, "fever_text": fever_text, "unanswered": unanswered, **day_context(patient)}
    return _render(request, "patients/diary_form.html", context)


def _fever_words(patient, units: str) -> tuple[str, str]:
    """The patient's fever threshold (the fever rule's value), exact, in the reader's
    unit and in the other one: ("100.4 °F", "38.0 °C")."""
    fever_c = Decimal(str(chart_thresholds(patient)["temperature_c"]))
    shown = [(format_temperature(float(exact_fahrenheit(fever_c))), "F"), (format_temperature(float(fever_c)), "C")]
    if units != "F":
        shown.reverse()
    return tuple(f"{value} {unit_symbol(unit)}" for value, unit in shown)


@patient_page(caregivers="read", audit_action="symptoms.read")
def history(request, patient):
    entries = selectors.symptom_entries(patient).select_related("entered_by")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": entry_rows(page.object_list, request.user),
        **trend_context(patient, request.user, _days(request)),
        **day_context(patient),
    }
    return _render(request, "patients/history.html", context)


@login_required
@require_POST
def entry_entered_in_error(request, entry_id: int):
    entry = selectors.entry_for(request.user, entry_id)
    services.mark_entry_entered_in_error(
        entry=entry, marked_by=request.user, reason=request.POST.get("reason", "")[:200]
    )
    messages.success(request, "The entry is marked as entered in error. It stays in the record but not in the chart.")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("patients:history")
    return redirect(target)


# --- Care team and access history ----------------------------------------------------------


@patient_page
def care_team(request, patient):
    form = AddClinicianForm(request.POST or None, queryset=selectors.clinicians_to_add(patient))
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.grant_care_team(
                patient=patient, clinician=form.cleaned_data["clinician"], granted_by=request.user
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"{grant.clinician.display_name} can now see your record.")
            return redirect("patients:care_team")
    grants = selectors.care_team_grants(patient)
    return _render(request, "patients/care_team.html", {"form": form, "grants": grants, **day_context(patient)})


@patient_page
@require_POST
def care_team_revoke(request, patient, grant_id: int):
    grant = selectors.grant_for_patient(patient, grant_id)
    services.revoke_care_team(grant=grant, revoked_by=request.user)
    messages.success(request, f"{grant.clinician.display_name} no longer has access to your record.")
    return redirect("patients:care_team")


@patient_page
def access_log_page(request, patient):
    lines = access_log_lines(patient, limit=200)
    for line in lines:
        line.at = local(line.at, request.user)
    return _render(request, "patients/access_log.html", {"lines": lines, **day_context(patient)})


# --- Pain plan, health factors, medication log ------------------------------------------------


@patient_page(caregivers="read", audit_action="pain_plan.read")
def pain_plan(request, patient):
    return _render(
        request,
        "patients/pain_plan.html",
        {"plan": pain_plan_for(patient), "patient": patient, **day_context(patient)},
    )


def _health_form(request, patient, *, updated_by, done_url: str, template_context: dict):
    form = HealthForm(request.POST or None, initial=health_of(patient))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_health(patient=patient, health=form.service_data(), updated_by=updated_by)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Health details saved.")
            return redirect(done_url)
    return _render(request, "patients/health_form.html", {"form": form, "patient": patient, **template_context})


@patient_page
def health_edit(request, patient):
    return _health_form(
        request,
        patient,
        updated_by=request.user,
        done_url=reverse("patients:pain_plan"),
        template_context={"cancel_url": reverse("patients:pain_plan"), **day_context(patient)},
    )


@patient_page
def phone_edit(request, patient):
    """The patient's phone number: a panel on the settings page posts here; this page
    shows the form again when the number is refused."""
    form = PhoneForm(request.POST or None, initial={"phone": patient.phone})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_phone(patient=patient, phone=form.cleaned_data["phone"], updated_by=request.user)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Phone number saved." if form.cleaned_data["phone"] else "Phone number removed.")
            return redirect("account_settings")
    return _render(request, "patients/phone.html", {"form": form})


@patient_page
def medications(request, patient):
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            logged = log_medication_dose(patient=patient, data=form.service_data(), entered_by=request.user)
        except ValidationError as exc:
            _attach_errors(form, exc, MedicationForm.FIELD_OF_SERVICE_ERROR)
        else:
            # Redirect with the dose's id only; the page recomputes its findings from the log.
            return redirect(f"{reverse('patients:medications')}?logged={logged.dose.pk}")
    logged = None
    logged_id = request.GET.get("logged", "")
    if logged_id.isdigit():
        dose = selectors.medication_doses(patient).filter(pk=int(logged_id)).first()
        if dose is not None:
            logged = logged_dose_again(dose)
    summary = selectors.medication_summary_24h(patient)
    doses = [
        {"dose": d, "at": local(d.taken_at, request.user), "label": d.drug.label}
        for d in selectors.medication_doses(patient)[:20]
    ]
    context = {
        "form": form,
        "logged": logged,
        "logged_at": local(logged.dose.taken_at, request.user) if logged else None,
        "summary": summary,
        "doses": doses,
        "poison_control_href": POISON_CONTROL_PHONE_HREF,
        "clinic": current_clinic(),
        # Who the dose's alert went to (CLINICAL.md section 7), read as the page is shown.
        "audience": responsible_for(patient).audience if logged and logged.severity else "",
        **day_context(patient),
    }
    return _render(request, "patients/medications.html", context)


# --- Clinician pages ------------------------------------------------------------------------


@role_required(Role.CLINICIAN)
def patient_list(request):
    search = request.GET.get("q", "")[:100]
    page = Paginator(selectors.patient_list(request.user, search=search), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    patients = list(page.object_list)
    latest = selectors.entries_by_id([p.latest_entry_id for p in patients])
    audit_read(user=request.user, patients=patients, request=request, action="patient_list.read")
    fever_limits = temperature_limits() if any(latest.values()) else []  # the default: one query for the page
    rows = []
    for patient in patients:
        entry = latest.get(patient.latest_entry_id)
        rows.append(
            {
                "patient": patient,
                "day": selectors.day_since_procedure_at(patient.procedure_at),
                "entry": entry,
                "entry_at": local(entry.recorded_at, request.user) if entry else None,
                "temperature": temperature_text(entry.temperature_c, request.user, fever_limits) if entry else "",
                "urgency": URGENCY_WORDS.get(patient.urgency_rank, ""),
            }
        )
    return _render(request, "patients/patient_list.html", {"page": page, "rows": rows, "search": search})


URGENCY_WORDS = {0: "Urgent", 1: "High", 2: "Normal"}


@role_required(Role.CLINICIAN)
def enrol(request):
    form = EnrolPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.enrol_patient(enrolled_by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _attach_errors(form, exc, {"procedure": None})
        else:
            messages.success(request, f"{patient.name} is enrolled and has been emailed an invitation.")
            return redirect("patients:chart", patient_id=patient.pk)
    return _render(request, "patients/enrol.html", {"form": form})


def _chart_panels(request, patient) -> dict[str, list[str]]:
    """The panels the apps above this one registered (``patients.plugins``), by app:
    the chart places each app's panels where its summary needs them."""
    return {app: panels(request, patient) for app, panels in chart_panel_sources().items()}


@role_required(Role.CLINICIAN)
def chart(request, patient_id: int):
    """The clinician's chart opens on a summary: how to reach the patient, the
    latest values, open alerts grouped by rule, the trend at full width; then labs,
    medications, care team and messages side by side; the diary entries folded."""
    patient = selectors.patient_for(request.user, patient_id)
    audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="patient.chart.read")
    rows = entry_rows(selectors.symptom_entries(patient).select_related("entered_by")[:20], request.user)
    trend = trend_context(patient, request.user, _days(request), chart_id=f"chart-{patient.pk}")
    context = {
        "patient": patient,
        "rows": rows,
        "latest": next((row for row in rows if not row.in_error), None),
        "plan": pain_plan_for(patient),
        "panels": _chart_panels(request, patient),
        "care_team": list(selectors.care_team_grants(patient)),
        "caregivers": list(caregivers_of(patient)),
        "doses": [
            {"dose": d, "at": local(d.taken_at, request.user), "label": d.drug.label}
            for d in selectors.medication_doses(patient)[:10]
        ],
        "dose_summary": selectors.medication_summary_24h(patient),
        **trend,
        **day_context(patient),
    }
    return _render(request, "patients/chart.html", context)


@role_required(Role.CLINICIAN)
def chart_health(request, patient_id: int):
    patient = selectors.patient_for(request.user, patient_id)
    if request.method == "GET":
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="patient.read")
    chart_url = reverse("patients:chart", args=[patient.pk])
    return _health_form(
        request,
        patient,
        updated_by=request.user,
        done_url=chart_url,
        template_context={"cancel_url": chart_url, "for_clinician": True, **day_context(patient)},
    )
