"""The patients API (API.md "Accounts: enrolment", "Symptoms", "Patients and care team").

Thin views: parse the query, find the patient through the access selectors (404
for "missing" and "not yours" alike), call a service or selector, render. Every
clinician read of a patient's data writes an audit event.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.fields import BooleanField
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from patients import selectors, services
from patients.access_log import access_log_lines
from patients.caregivers import diary_patient_for
from patients.diary import log_medication_dose, submit_symptom_entry
from patients.models import Patient, Procedure
from patients.pain_plan import pain_plan_for
from patients.serializers import (
    AccessLogEntrySerializer,
    CareTeamGrantSerializer,
    EnrolPatientSerializer,
    EnteredInErrorSerializer,
    GrantInputSerializer,
    HealthUpdateSerializer,
    MedicationDoseInputSerializer,
    MedicationDoseSerializer,
    MedicationLogSerializer,
    PainPlanSerializer,
    PatientListItemSerializer,
    PatientSerializer,
    SymptomEntryInputSerializer,
    SymptomEntrySerializer,
    SymptomSubmissionSerializer,
    TrendSerializer,
)
from patients.trend import parse_days, symptom_trend
from portal.accounts.models import User
from portal.api import Pagination
from portal.audit.services import audit_read
from portal.permissions import (
    IsClinician,
    IsPatient,
    IsPatientClinicianOrCaregiver,
    IsPatientOrCaregiver,
    IsPatientOrClinician,
    MFARequiredForHealthData,
)

# The MFA check comes before the role check: a clinician without TOTP hears
# "mfa_required" from every endpoint, whatever it is.
BASE_PERMISSIONS = [IsAuthenticated, MFARequiredForHealthData]
PATIENT_PARAM = OpenApiParameter("patient", int, description="Patient id (clinicians: required)")

PAIN_PLAN_NOTE = (
    "This is not a prescription. Discuss any medicine with your clinician before you take it, "
    "and follow the label or your clinician's instructions."
)


def _mapping(data) -> dict:
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return data


def _query_moment(request, name: str):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({name: ["Enter a date and time in ISO 8601 format, e.g. 2026-11-23T08:00:00Z."]})
    return moment


def _with_latest_procedure(patients):
    return patients.prefetch_related(
        Prefetch("procedures", queryset=Procedure.objects.order_by("-performed_at"), to_attr="procedures_latest_first")
    )


# --- Patients ------------------------------------------------------------------------------


class PatientListView(APIView):
    """Clinicians: their care-team patients, most urgent first (``?q=`` searches
    names and emails). Patients: themselves. ``POST`` enrols a patient (clinicians)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrClinician]
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination

    def get_permissions(self):
        if self.request.method == "POST":
            return [permission() for permission in (*BASE_PERMISSIONS, IsClinician)]
        return super().get_permissions()

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Search by name or email")],
        responses=PatientListItemSerializer(many=True),
    )
    def get(self, request):
        patients = selectors.patient_list(request.user, search=request.query_params.get("q", ""))
        paginator = Pagination()
        page = paginator.paginate_queryset(_with_latest_procedure(patients), request, view=self)
        latest = selectors.entries_by_id([p.latest_entry_id for p in page])
        audit_read(user=request.user, patients=page, request=request, action="patient_list.read")
        data = PatientListItemSerializer(page, many=True, context={"latest_entries": latest}).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=EnrolPatientSerializer, responses={201: PatientSerializer})
    def post(self, request):
        data = _mapping(request.data)
        patient = services.enrol_patient(
            enrolled_by=request.user,
            email=data.get("email") or "",
            first_name=data.get("first_name") or "",
            last_name=data.get("last_name") or "",
            date_of_birth=data.get("date_of_birth") or "",
            sex=data.get("sex") or "",
            procedure=data.get("procedure"),
            phone=data.get("phone", ""),
        )
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    """A patient's profile with the procedure and the health factors.
    ``PATCH {"health": {...}, "phone": "..."}`` changes some factors and/or the phone number
    (the patient or a care-team clinician; an empty phone removes it)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrClinician]

    @extend_schema(responses=PatientSerializer)
    def get(self, request, patient_id: int):
        patient = selectors.patient_for(request.user, patient_id)
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request)
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=HealthUpdateSerializer, responses=PatientSerializer)
    def patch(self, request, patient_id: int):
        patient = selectors.patient_for(request.user, patient_id)
        data = _mapping(request.data)
        if "health" not in data and "phone" not in data:
            raise ValidationError({"health": ['Send the health details to change under "health".']})
        with transaction.atomic():  # both or neither
            if "phone" in data:
                patient = services.update_phone(patient=patient, phone=data["phone"], updated_by=request.user)
            if "health" in data:
                patient = services.update_health(patient=patient, health=data["health"], updated_by=request.user)
        # The answer is the whole profile: a read, whether or not anything changed.
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request)
        return Response(PatientSerializer(patient).data)


# --- Symptoms ------------------------------------------------------------------------------


class SymptomListView(APIView):
    """``POST``: the patient records an entry (a caregiver allowed to log symptoms
    names the patient with ``patient``); the answer carries the rules'
    recommendations (highest severity first) and the ids of alerts it created.
    ``GET``: entries newest first, paginated (``patient``, ``since``, ``until``)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientClinicianOrCaregiver]
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination

    def get_permissions(self):
        if self.request.method == "POST":
            return [permission() for permission in (*BASE_PERMISSIONS, IsPatientOrCaregiver)]
        return super().get_permissions()

    @extend_schema(
        parameters=[
            PATIENT_PARAM,
            OpenApiParameter("since", str, description="ISO 8601 date-time"),
            OpenApiParameter("until", str, description="ISO 8601 date-time"),
        ],
        responses=SymptomEntrySerializer(many=True),
    )
    def get(self, request):
        patient = selectors.patient_in_scope(request.user, request.query_params.get("patient"), caregivers=True)
        since, until = _query_moment(request, "since"), _query_moment(request, "until")
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="symptoms.read")
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.symptom_entries(patient, since=since, until=until).select_related("entered_by"),
            request,
            view=self,
        )
        return paginator.get_paginated_response(SymptomEntrySerializer(page, many=True).data)

    @extend_schema(request=SymptomEntryInputSerializer, responses={201: SymptomSubmissionSerializer})
    def post(self, request):
        data = _mapping(request.data)
        patient = diary_patient_for(request.user, data.get("patient"))
        submission = submit_symptom_entry(patient=patient, data=data, entered_by=request.user)
        known = {} if submission.fever_limits is None else {"fever_limits": {patient.pk: submission.fever_limits}}
        body = dict(SymptomEntrySerializer(submission.entry, context=known).data)
        body["recommendations"] = submission.recommendations
        body["alerts"] = submission.alert_ids
        return Response(body, status=status.HTTP_201_CREATED)


class SymptomTrendView(APIView):
    """Back pain, headache and temperature over ``days`` (default 14), the
    threshold of each, and the spikes (CLINICAL.md ``score_rise``)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientClinicianOrCaregiver]

    @extend_schema(
        parameters=[PATIENT_PARAM, OpenApiParameter("days", int, description="1 to 90, default 14")],
        responses=TrendSerializer,
    )
    def get(self, request):
        patient = selectors.patient_in_scope(request.user, request.query_params.get("patient"), caregivers=True)
        try:
            days = parse_days(request.query_params.get("days"))
        except ValueError:
            raise ValidationError({"days": ["Choose a number of days from 1 to 90."]}) from None
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="symptoms.trend.read")
        trend = symptom_trend(patient, days=days)
        return Response(
            {
                "days": trend.days,
                "series": {name: [[t, v] for t, v in points] for name, points in trend.series.items()},
                "spikes": [spike.as_dict() for spike in trend.spikes],
                "thresholds": trend.thresholds,
            }
        )


class SymptomEnteredInErrorView(APIView):
    """Mark an entry "entered in error": it leaves trends and rules, the row stays."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrClinician]

    @extend_schema(request=EnteredInErrorSerializer, responses=SymptomEntrySerializer)
    def post(self, request, entry_id: int):
        entry = selectors.entry_for(request.user, entry_id)
        reason = _mapping(request.data).get("reason") or ""
        entry = services.mark_entry_entered_in_error(entry=entry, marked_by=request.user, reason=reason)
        return Response(SymptomEntrySerializer(entry).data)


# --- Care team -----------------------------------------------------------------------------


class CareTeamView(APIView):
    """The patient's care team: the clinicians they chose. ``POST {"clinician": id}`` adds one."""

    permission_classes = [*BASE_PERMISSIONS, IsPatient]

    @extend_schema(
        parameters=[OpenApiParameter("include_revoked", bool, description="Also list ended grants")],
        responses=CareTeamGrantSerializer(many=True),
    )
    def get(self, request):
        patient = selectors.own_patient(request.user)
        raw = request.query_params.get("include_revoked")
        try:
            include_revoked = raw is not None and BooleanField().to_internal_value(raw)
        except DRFValidationError:
            raise ValidationError({"include_revoked": ["Use true or false."]}) from None
        grants = selectors.care_team_grants(patient, include_revoked=include_revoked)
        return Response(CareTeamGrantSerializer(grants, many=True).data)

    @extend_schema(request=GrantInputSerializer, responses={201: CareTeamGrantSerializer})
    def post(self, request):
        patient = selectors.own_patient(request.user)
        raw = _mapping(request.data).get("clinician")
        clinician_id = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(raw, str) and raw.strip().isdigit():
            clinician_id = int(raw)
        clinician = User.objects.clinicians().filter(pk=clinician_id).first() if clinician_id is not None else None
        grant = services.grant_care_team(patient=patient, clinician=clinician, granted_by=request.user)
        return Response(CareTeamGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class CareTeamGrantView(APIView):
    """``DELETE``: the clinician's access ends now (the grant stays in the history)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatient]

    @extend_schema(responses={204: None})
    def delete(self, request, grant_id: int):
        patient = selectors.own_patient(request.user)
        grant = selectors.grant_for_patient(patient, grant_id)
        services.revoke_care_team(grant=grant, revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Medication log ------------------------------------------------------------------------


class MedicationListView(APIView):
    """``GET``: the dose log, newest first, with each class's 24-hour total.
    ``POST``: log a dose (patient) -> the dose plus ``total_24h_mg``, ``cap_mg``, ``over_cap``,
    ``severity`` and ``message`` (CLINICAL.md section 5)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrClinician]
    # APIView does not paginate by itself: this names the page shape in the schema.
    pagination_class = Pagination

    def get_permissions(self):
        if self.request.method == "POST":
            return [permission() for permission in (*BASE_PERMISSIONS, IsPatient)]
        return super().get_permissions()

    @extend_schema(parameters=[PATIENT_PARAM], responses=MedicationDoseSerializer(many=True))
    def get(self, request):
        patient = selectors.patient_in_scope(request.user, request.query_params.get("patient"))
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="medications.read")
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.medication_doses(patient), request, view=self)
        response = paginator.get_paginated_response(MedicationDoseSerializer(page, many=True).data)
        response.data["totals_24h_mg"] = selectors.medication_totals_24h(patient)
        return response

    @extend_schema(request=MedicationDoseInputSerializer, responses={201: MedicationLogSerializer})
    def post(self, request):
        patient = selectors.own_patient(request.user)
        logged = log_medication_dose(patient=patient, data=_mapping(request.data), entered_by=request.user)
        result = logged.result
        body = dict(MedicationDoseSerializer(result.dose).data)
        body.update(
            total_24h_mg=result.total_24h_mg,
            cap_mg=result.cap_mg,
            over_cap=result.over_cap,
            severity=logged.severity,
            message=logged.message,
            rules=[r["rule"] for r in logged.recommendations],
            alerts=logged.alert_ids,
            warning=logged.message,
        )
        return Response(body, status=status.HTTP_201_CREATED)


# --- Pain plan and access history ------------------------------------------------------------


def pain_plan_body(patient: Patient) -> dict:
    plan = pain_plan_for(patient)
    return {
        "options": [
            {
                "medication_class": o.medication_class,
                "label": o.label,
                "suitable": o.suitable,
                "status": o.status,
                "reasons": o.reasons,
                "daily_cap_mg": o.daily_cap_mg,
                "limits": [
                    {
                        "drug": limit.drug,
                        "label": limit.label,
                        "daily_cap_mg": limit.daily_cap_mg,
                        "never_above_mg": limit.never_above_mg,
                    }
                    for limit in o.limits
                ],
                "cap_text": o.cap_text,
                "use_note": o.use_note,
                "citations": o.citations,
                "discuss_with_clinician": True,
            }
            for o in plan.options
        ],
        "non_drug": plan.non_drug,
        "preferences": plan.preferences,
        "note": PAIN_PLAN_NOTE,
    }


class PainPlanView(APIView):
    """Medication classes to discuss with the clinician, from the health factors
    (CLINICAL.md section 5). Never a prescription."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientClinicianOrCaregiver]

    @extend_schema(parameters=[PATIENT_PARAM], responses=PainPlanSerializer)
    def get(self, request):
        patient = selectors.patient_in_scope(request.user, request.query_params.get("patient"), caregivers=True)
        audit_read(user=request.user, patient_id=patient.pk, obj=patient, request=request, action="pain_plan.read")
        return Response(pain_plan_body(patient))


class AccessLogView(APIView):
    """Who read or changed the patient's record, newest first (at most 500)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatient]

    @extend_schema(responses=AccessLogEntrySerializer(many=True))
    def get(self, request):
        patient = selectors.own_patient(request.user)
        return Response(AccessLogEntrySerializer(access_log_lines(patient), many=True).data)
