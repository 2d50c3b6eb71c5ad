"""Labs API (API.md "Labs"). Thin views: parse, call a selector or a service, render.

Scoping, stated once for every endpoint:
- A path id the caller may not see (missing, another patient's, outside the care
  team, or for a patient: not released yet) is 404.
- ``?patient=<id>`` the caller may not see is 404, like a path id.
- A ``patient`` in a request body that the caller may not use is 400
  ``{"patient": ["Unknown patient."]}``, with the same words whether it exists or not.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from labs import selectors, services
from labs.integrations import alert_prefill, verified_alert_id
from labs.serializers import (
    BloodCultureEntrySerializer,
    LabReportEnteredInErrorSerializer,
    LabReportReleaseSerializer,
    LabReportSerializer,
    LabReportUploadSerializer,
    LabRequestCreateSerializer,
    LabRequestPrefillSerializer,
    LabRequestReviewSerializer,
    LabRequestSerializer,
)
from labs.uploads import BoundedMemoryUploadHandler, read_uploaded
from patients.selectors import patient_for, patient_in_scope, patients_visible_to
from portal.accounts.models import Role
from portal.api import listed, request_body
from portal.audit.services import audit_read
from portal.permissions import (
    IsClinician,
    IsPatientClinicianOrCaregiver,
    IsPatientOrClinician,
    MFARequiredForHealthData,
)
from portal.validation import object_id

READ = [IsAuthenticated, MFARequiredForHealthData, IsPatientOrClinician]
CLINICIAN_ONLY = [IsAuthenticated, MFARequiredForHealthData, IsClinician]
# The list of reports: a caregiver reads the released ones of a patient they follow.
LIST_READ = [IsAuthenticated, MFARequiredForHealthData, IsPatientClinicianOrCaregiver]
PATIENT_PARAM = OpenApiParameter(
    "patient", int, description="A patient may omit it; a clinician without it gets all care-team patients."
)


def _unknown_patient() -> serializers.ValidationError:
    return serializers.ValidationError({"patient": ["Unknown patient."]})


def _patient_in_body(user, raw):
    patient_id = object_id(raw, field="patient")
    patient = patients_visible_to(user).select_related("user").filter(pk=patient_id).first()
    if patient is None:
        raise _unknown_patient()
    return patient


class LabReportListView(ListAPIView):
    """``GET``: lab reports, newest collected first. ``POST`` (clinician): upload one."""

    serializer_class = LabReportSerializer

    def get_permissions(self):
        return [permission() for permission in (CLINICIAN_ONLY if self.request.method == "POST" else LIST_READ)]

    def initial(self, request, *args, **kwargs):
        # Before authentication: the CSRF check of a session reads the form, which
        # parses the body. The file must stay in memory and within the limit.
        self.upload_handler = BoundedMemoryUploadHandler(request._request)
        if request.method == "POST":
            request._request.upload_handlers = [self.upload_handler]
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        reports = selectors.with_values(selectors.lab_reports_visible_to(user))
        if self.request.query_params.get("patient") not in (None, ""):
            patient = patient_in_scope(user, self.request.query_params["patient"], caregivers=True)
            if user.role != Role.CLINICIAN and patient.user_id != user.pk:
                # A caregiver: the patient's released reports, as the patient reads them.
                self.followed_patient = patient
                return selectors.released_reports_of(patient)
            reports = reports.filter(patient=patient)
        return reports

    @extend_schema(parameters=[PATIENT_PARAM])
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        followed = getattr(self, "followed_patient", None)
        if followed is not None:
            audit_read(user=request.user, patient_id=followed.pk, request=request, action="lab_report.list")
        if request.user.role == Role.CLINICIAN:
            audit_read(
                user=request.user,
                patient_ids=[row.patient_id for row in page],
                request=request,
                action="lab_report.list",
            )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": LabReportUploadSerializer},
        responses={201: LabReportSerializer, 400: OpenApiResponse(description="A field is invalid; named.")},
    )
    def post(self, request):
        data = request_body(request)
        patient = _patient_in_body(request.user, data.get("patient"))
        uploaded = request.FILES.get("file")
        report = services.upload_lab_report(
            uploaded_by=request.user,
            patient=patient,
            kind=data.get("kind"),
            collected_at=data.get("collected_at"),
            values=data.get("values"),
            file_content=read_uploaded(uploaded),
            file_name=getattr(uploaded, "name", "") or "",
            file_oversized="file" in self.upload_handler.oversized,
            answers_request_id=data.get("answers_request"),
            request=request,
        )
        report = selectors.lab_report_for(request.user, report.pk)
        return Response(LabReportSerializer(report, context={"request": request}).data, status=status.HTTP_201_CREATED)


class BloodCultureListView(GenericAPIView):
    """``POST`` (clinician): one reading of a blood culture (preliminary at 48 hours, then
    final at 5 days; an organism or no growth) -> 201 with the new, unreleased lab report."""

    permission_classes = CLINICIAN_ONLY
    serializer_class = LabReportSerializer

    @extend_schema(
        request=BloodCultureEntrySerializer,
        responses={201: LabReportSerializer, 400: OpenApiResponse(description="A field is invalid; named.")},
    )
    def post(self, request):
        data = request_body(request)
        patient = _patient_in_body(request.user, data.get("patient"))
        report = services.enter_blood_culture(
            entered_by=request.user,
            patient=patient,
            lab_request_id=data.get("lab_request"),
            stage=data.get("stage"),
            no_growth=data.get("no_growth", False),
            organism=data.get("organism", ""),
            collected_at=data.get("collected_at"),
            request=request,
        )
        report = selectors.lab_report_for(request.user, report.pk)
        return Response(LabReportSerializer(report, context={"request": request}).data, status=status.HTTP_201_CREATED)


class LabReportDetailView(GenericAPIView):
    permission_classes = READ
    serializer_class = LabReportSerializer

    def get(self, request, pk: int):
        report = selectors.lab_report_for(request.user, pk)
        audit_read(
            user=request.user, patient_id=report.patient_id, obj=report, request=request, action="lab_report.read"
        )
        return Response(LabReportSerializer(report, context={"request": request}).data)


class IntegrityErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class LabReportFileView(GenericAPIView):
    """The decrypted file, decrypted on the fly. Every download is audited."""

    permission_classes = READ

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/plain"): OpenApiTypes.STR,
            422: OpenApiResponse(IntegrityErrorSerializer, description="The stored file failed its integrity check."),
        }
    )
    def get(self, request, pk: int):
        report = selectors.lab_report_for(request.user, pk, values=False)
        if not report.has_file:
            raise Http404  # a result typed in without the lab's file
        try:
            opened = services.open_report_file(report=report, user=request.user, request=request)
        except services.ReportFileDamaged:
            return Response(
                {"detail": services.INTEGRITY_MESSAGE, "code": "integrity_check_failed"},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return file_response(opened)


def file_response(opened: services.OpenedFile) -> HttpResponse:
    content_type = opened.content_type + ("; charset=utf-8" if opened.content_type.startswith("text/") else "")
    response = HttpResponse(opened.content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=opened.name)
    response["Content-Length"] = str(len(opened.content))
    # Opened in a browser tab, the file gets no script and no origin of ours.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


class LabReportReleaseView(GenericAPIView):
    permission_classes = CLINICIAN_ONLY
    serializer_class = LabReportSerializer

    @extend_schema(request=LabReportReleaseSerializer, responses=LabReportSerializer)
    def post(self, request, pk: int):
        report = selectors.lab_report_for(request.user, pk)
        # Optional: the clinician's note to the patient (the service checks it: 400 naming "note").
        note = request_body(request).get("note", "")
        services.release_lab_report(report=report, released_by=request.user, note=note, request=request)
        report = selectors.lab_report_for(request.user, pk)
        return Response(LabReportSerializer(report, context={"request": request}).data)


class LabReportEnteredInErrorView(GenericAPIView):
    permission_classes = CLINICIAN_ONLY
    serializer_class = LabReportSerializer

    @extend_schema(request=LabReportEnteredInErrorSerializer, responses=LabReportSerializer)
    def post(self, request, pk: int):
        report = selectors.lab_report_for(request.user, pk)
        services.mark_report_entered_in_error(
            report=report, marked_by=request.user, reason=request_body(request).get("reason"), request=request
        )
        report = selectors.lab_report_for(request.user, pk)
        return Response(LabReportSerializer(report, context={"request": request}).data)


class LabRequestListView(ListAPIView):
    """``GET``: lab requests, newest first (``?status=pending``). ``POST``: a new request,
    by a patient for themselves or by a clinician for a care-team patient."""

    permission_classes = READ
    serializer_class = LabRequestSerializer

    def get_queryset(self):
        params = self.request.query_params
        lab_requests = selectors.lab_requests_visible_to(self.request.user).prefetch_related("reports")
        if params.get("patient") not in (None, ""):
            lab_requests = lab_requests.filter(patient=patient_for(self.request.user, params["patient"]))
        wanted = params.get("status")
        if wanted:
            if wanted not in ("pending", "approved", "declined"):
                raise serializers.ValidationError({"status": ["Choose pending, approved or declined."]})
            lab_requests = lab_requests.filter(status=wanted)
        return lab_requests

    @extend_schema(
        parameters=[PATIENT_PARAM, OpenApiParameter("status", str, enum=["pending", "approved", "declined"])],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        if request.user.role == Role.CLINICIAN:
            audit_read(
                user=request.user,
                patient_ids=[row.patient_id for row in page],
                request=request,
                action="lab_request.list",
            )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=LabRequestCreateSerializer, responses={201: LabRequestSerializer})
    def post(self, request):
        data = request_body(request)
        named = data.get("patient")
        if request.user.role == Role.PATIENT:
            patient = patients_visible_to(request.user).select_related("user").first()
            if patient is None or (named is not None and object_id(named, field="patient") != patient.pk):
                raise _unknown_patient()
        else:
            patient = _patient_in_body(request.user, named)
        lab_request = services.request_labs(
            requested_by=request.user,
            patient=patient,
            tests=listed(data, "tests"),
            reason=data.get("reason"),
            source_alert_id=verified_alert_id(request.user, patient, data.get("alert")),
            priority=data.get("priority"),
            request=request,
        )
        lab_request = selectors.lab_request_for(request.user, lab_request.pk)
        return Response(
            LabRequestSerializer(lab_request, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class LabRequestDetailView(GenericAPIView):
    permission_classes = READ
    serializer_class = LabRequestSerializer

    def get(self, request, pk: int):
        lab_request = selectors.lab_request_for(request.user, pk)
        audit_read(
            user=request.user,
            patient_id=lab_request.patient_id,
            obj=lab_request,
            request=request,
            action="lab_request.read",
        )
        return Response(LabRequestSerializer(lab_request, context={"request": request}).data)


class LabRequestReviewView(GenericAPIView):
    permission_classes = CLINICIAN_ONLY
    serializer_class = LabRequestSerializer

    @extend_schema(request=LabRequestReviewSerializer, responses=LabRequestSerializer)
    def post(self, request, pk: int):
        lab_request = selectors.lab_request_for(request.user, pk)
        data = request_body(request)
        services.review_lab_request(
            lab_request=lab_request,
            reviewer=request.user,
            decision=data.get("decision"),
            note=data.get("note"),
            request=request,
        )
        lab_request = selectors.lab_request_for(request.user, pk)
        return Response(LabRequestSerializer(lab_request, context={"request": request}).data)


class LabRequestPrefillView(GenericAPIView):
    """What "request labs" on an alert pre-fills: ``?alert=<id>`` (when the alerts app
    offers a selector for it) or ``?patient=<id>&reason=...``. Clinicians only."""

    permission_classes = CLINICIAN_ONLY
    serializer_class = LabRequestPrefillSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int),
            OpenApiParameter("alert", int),
            OpenApiParameter("reason", str),
            OpenApiParameter("tests", str, many=True),
        ]
    )
    def get(self, request):
        prefill = alert_prefill(request.user, request.query_params, request=request)
        return Response(
            {
                "patient": prefill.patient.pk,
                "tests": prefill.tests,
                "reason": prefill.reason,
                "alert": prefill.alert_id,
            }
        )
