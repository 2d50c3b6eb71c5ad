"""Lab pages: results explained for patients, upload/release/review for clinicians.
Thin: the same selectors and services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from labs import selectors, services
from labs.api import file_response
from labs.forms import (
    BloodCultureForm,
    EnteredInErrorForm,
    LabReportUploadForm,
    LabRequestForm,
    LabRequestReviewForm,
    ReleaseForm,
)
from labs.integrations import alert_prefill
from labs.presenters import culture_of, culture_words, value_view
from labs.uploads import BoundedMemoryUploadHandler, read_uploaded
from patients.caregiver_views import page_patient
from patients.selectors import own_patient, patient_for, patients_visible_to
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.pages import check_role, role_required


def _followed(request, action: str):
    """The patient a caregiver looks at (patients.caregiver_views.page_patient: 404 once
    revoked, "choose" when they follow several), or None for a patient's own results."""
    if request.user.role not in (Role.CAREGIVER, Role.PATIENT):
        return None
    return page_patient(request, may="", audit_action=action)


@role_required(Role.PATIENT, Role.CLINICIAN, Role.CAREGIVER)
def index(request):
    """Patients: their released results and requests. A caregiver: the released results
    of the patient they chose. Clinicians: what waits for them."""
    user = request.user
    followed = _followed(request, "lab_report.list")
    if followed == "choose":
        return redirect("patients:caregiving")
    if followed is not None:
        context = {
            "patient": followed,
            "reports": selectors.released_reports_of(followed),
            "lab_requests": [],
            "followed": followed,
        }
        return render(request, "labs/patient_index.html", context)
    if user.role == Role.PATIENT:
        patient = own_patient(user)
        context = {
            "patient": patient,
            "reports": selectors.lab_reports_of(user, patient),
            "lab_requests": selectors.lab_requests_of(user, patient),
        }
        return render(request, "labs/patient_index.html", context)
    unreleased = list(
        selectors.with_values(selectors.unreleased_reports_for_clinician(user)).order_by("uploaded_at")[:50]
    )
    pending = list(selectors.pending_lab_requests_for(user)[:50])
    recent = list(selectors.with_values(selectors.lab_reports_visible_to(user)).filter(released_at__isnull=False)[:20])
    audit_read(
        user=user,
        patient_ids=[row.patient_id for row in (*unreleased, *pending, *recent)],
        request=request,
        action="lab_report.list",
    )
    return render(
        request,
        "labs/clinician_index.html",
        {
            "unreleased": unreleased,
            "pending": pending,
            "recent": recent,
            "patients": patients_visible_to(user).select_related("user"),
        },
    )


@role_required(Role.PATIENT, Role.CLINICIAN, Role.CAREGIVER)
def report_detail(request, pk: int):
    user = request.user
    followed = _followed(request, "lab_report.read")
    if followed == "choose":
        return redirect("patients:caregiving")
    if followed is not None:
        report = selectors.released_reports_of(followed).filter(pk=pk).first()
        if report is None:
            raise Http404
    else:
        report = selectors.lab_report_for(user, pk)
    audit_read(user=user, patient_id=report.patient_id, obj=report, request=request, action="lab_report.read")
    culture = culture_of(report)
    context = {
        "followed": followed,
        "report": report,
        "rows": [value_view(value, for_clinician=user.role == Role.CLINICIAN) for value in report.values.all()],
        "is_clinician": user.role == Role.CLINICIAN,
        "error_form": EnteredInErrorForm(),
        "lab_request": report.answers_request,
        "culture": culture,
        "culture_words": culture_words(culture) if culture is not None else None,
    }
    return render(request, "labs/report_detail.html", context)


@role_required(Role.PATIENT, Role.CLINICIAN)
def report_file(request, pk: int):
    user = request.user
    report = selectors.lab_report_for(user, pk, values=False)
    if not report.has_file:
        raise Http404  # a result typed in without the lab's file
    try:
        opened = services.open_report_file(report=report, user=user, request=request)
    except services.ReportFileDamaged:
        return render(request, "labs/file_damaged.html", {"report": report}, status=422)
    return file_response(opened)


@login_required
@role_required(Role.CLINICIAN)
def report_release(request, pk: int):
    """GET: the confirmation (what releasing does, the results outside their range, an
    optional note to the patient); POST: release, with the note."""
    report = selectors.lab_report_for(request.user, pk)
    if report.is_released or report.is_entered_in_error:
        return redirect("labs:report", pk=report.pk)
    form = ReleaseForm(request.POST if request.method == "POST" else None)  # an empty POST releases too
    if request.method == "POST" and form.is_valid():
        try:
            services.release_lab_report(
                report=report, released_by=request.user, note=form.cleaned_data["note"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Released. The patient can now see this report and has been told by email.")
        return redirect("labs:report", pk=report.pk)
    # The confirmation shows the patient's name and values: a read of the report.
    audit_read(user=request.user, patient_id=report.patient_id, obj=report, request=request, action="lab_report.read")
    context = {
        "report": report,
        "form": form,
        "outside": [value_view(value, for_clinician=True) for value in report.flagged_values],
    }
    return render(request, "labs/release_confirm.html", context)


@login_required
@require_POST
@role_required(Role.CLINICIAN)
def report_entered_in_error(request, pk: int):
    report = selectors.lab_report_for(request.user, pk)
    form = EnteredInErrorForm(request.POST)
    if form.is_valid():
        try:
            services.mark_report_entered_in_error(
                report=report, marked_by=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The report is marked as entered in error and hidden from the patient.")
    else:
        messages.error(request, "Give a short reason to withdraw the report.")
    return redirect("labs:report", pk=report.pk)


@csrf_exempt
@login_required
def upload_report(request, patient_id: int):
    # The file must stay in memory and within the limit: set the upload handler
    # before anything reads the form, then check CSRF as usual.
    handler = BoundedMemoryUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload_report(request, patient_id, handler)


@csrf_protect
def _upload_report(request, patient_id: int, handler: BoundedMemoryUploadHandler) -> HttpResponse:
    user = request.user
    check_role(user, Role.CLINICIAN)
    patient = patient_for(user, patient_id)
    form = LabReportUploadForm(
        request.POST or None, request.FILES or None, patient=patient, time_zone=user.time_zone or "UTC"
    )
    if request.method == "POST":
        if form.is_valid():
            uploaded = form.cleaned_data.get("file")
            answers = form.cleaned_data.get("answers_request")
            try:
                report = services.upload_lab_report(
                    uploaded_by=user,
                    patient=patient,
                    kind=form.cleaned_data["kind"],
                    collected_at=form.cleaned_data["collected_at"],
                    values=form.values_payload(),
                    file_content=read_uploaded(uploaded),
                    file_name=getattr(uploaded, "name", "") or "",
                    file_oversized="file" in handler.oversized,
                    answers_request_id=answers.pk if answers else None,
                    request=request,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Report uploaded. Review it, then release it to the patient.")
                return redirect("labs:report", pk=report.pk)
        elif "file" in handler.oversized:
            form.add_error("file", "The file is larger than 10 MB.")
    return render(request, "labs/upload.html", {"form": form, "patient": patient, "rows": form.analyte_rows()})


@role_required(Role.CLINICIAN)
def upload_start(request):
    """The clinician picked a patient on the labs page: go to that patient's upload form."""
    patient = patient_for(request.user, request.GET.get("patient"))
    return redirect("labs:upload", patient_id=patient.pk)


@role_required(Role.PATIENT, Role.CLINICIAN)
def request_new(request):
    """Patients ask for themselves; clinicians request for a care-team patient,
    pre-filled from ``?patient=`` or an alert (``?alert=``) — "request labs"."""
    user = request.user
    if user.role == Role.PATIENT:
        patient, initial = own_patient(user), {}
    else:
        try:
            prefill = alert_prefill(user, request.POST if request.method == "POST" else request.GET, request=request)
        except ValidationError:
            messages.error(request, "Choose a patient first: open their chart or an alert, then request labs.")
            return redirect("labs:index")
        patient = prefill.patient
        initial = {"tests": prefill.tests, "reason": prefill.reason, "alert": prefill.alert_id}
    ordering = user.role == Role.CLINICIAN
    form = LabRequestForm(request.POST or None, initial=initial, ordering=ordering)
    if request.method == "POST" and form.is_valid():
        try:
            lab_request = services.request_labs(
                requested_by=user,
                patient=patient,
                tests=form.cleaned_data["tests"],
                reason=form.cleaned_data["reason"],
                source_alert_id=initial.get("alert"),
                priority=form.cleaned_data.get("priority") or "routine",
                request=request,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if ordering:
                messages.success(
                    request,
                    f"Ordered ({lab_request.get_priority_display().lower()}): "
                    f"{', '.join(lab_request.test_labels)} for {patient.name}.",
                )
            else:
                messages.success(request, "Your request is with the care team; you will see their decision here.")
            return redirect("labs:request", pk=lab_request.pk)
    return render(request, "labs/request_new.html", {"form": form, "patient": patient})


@role_required(Role.PATIENT, Role.CLINICIAN)
def request_detail(request, pk: int):
    user = request.user
    lab_request = selectors.lab_request_for(user, pk)
    audit_read(
        user=user, patient_id=lab_request.patient_id, obj=lab_request, request=request, action="lab_request.read"
    )
    form = LabRequestReviewForm(request.POST or None)
    if request.method == "POST":
        check_role(user, Role.CLINICIAN)
        if form.is_valid():
            try:
                services.review_lab_request(
                    lab_request=lab_request,
                    reviewer=user,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Review saved. The patient can see the decision.")
                return redirect("labs:request", pk=lab_request.pk)
    reports = [
        report
        for report in lab_request.reports.all()
        if user.role == Role.CLINICIAN or (report.is_released and not report.is_entered_in_error)
    ]
    return render(
        request,
        "labs/request_detail.html",
        {
            "lab_request": lab_request,
            "form": form,
            "reports": reports,
            "is_clinician": user.role == Role.CLINICIAN,
        },
    )


@role_required(Role.CLINICIAN)
def culture_new(request, pk: int):
    """Enter a blood culture result for an order that asked for blood cultures: the
    preliminary (48 hours), then the final (5 days); an organism or no growth."""
    user = request.user
    lab_request = selectors.lab_request_for(user, pk)
    form = BloodCultureForm(request.POST or None, time_zone=user.time_zone or "UTC")
    if request.method == "POST" and form.is_valid():
        try:
            report = services.enter_blood_culture(
                entered_by=user,
                patient=lab_request.patient,
                lab_request_id=lab_request.pk,
                request=request,
                **form.service_arguments(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Blood culture result saved. Review it, then release it to the patient.")
            return redirect("labs:report", pk=report.pk)
    audit_read(
        user=user, patient_id=lab_request.patient_id, obj=lab_request, request=request, action="lab_request.read"
    )
    return render(request, "labs/culture_new.html", {"form": form, "lab_request": lab_request})
