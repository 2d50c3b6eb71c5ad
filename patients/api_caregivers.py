"""Caregivers (proxy access, API.md "Caregivers").

The patient's side: ``GET/POST /api/v1/caregivers/``, ``PATCH/DELETE
/api/v1/caregivers/<id>/``. The caregiver's side: ``GET /api/v1/caregiving/`` (the
patients they follow and what each allows) and ``PATCH /api/v1/caregiving/<patient
id>/`` (their own choice of the patient's urgent-alert emails). A caregiver reads
the record itself through the patient endpoints with ``?patient=<id>``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from patients import caregivers as selectors
from patients.models import CaregiverGrant
from patients.selectors import own_patient
from patients.services import caregivers as services
from portal.api import request_body
from portal.permissions import IsPatient, IsPatientOrCaregiver, MFARequiredForHealthData

BASE_PERMISSIONS = [IsAuthenticated, MFARequiredForHealthData]


class CaregiverGrantSerializer(serializers.ModelSerializer):
    caregiver = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = CaregiverGrant
        fields = ["id", "caregiver", "can_log_symptoms", "can_message", "created_at", "revoked_at", "active"]
        read_only_fields = fields

    def get_caregiver(self, grant: CaregiverGrant) -> dict:
        user = grant.caregiver
        return {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            # Still waiting for them to choose a password (the invitation link).
            "invitation_pending": not user.has_usable_password(),
        }


class CaregiverInputSerializer(serializers.Serializer):
    """The shape, for the schema (patients.services.caregivers validates)."""

    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    can_log_symptoms = serializers.BooleanField(default=False)
    can_message = serializers.BooleanField(default=False)


class CaregiverChangeSerializer(serializers.Serializer):
    """The shape, for the schema (patients.services.caregivers validates)."""

    can_log_symptoms = serializers.BooleanField(required=False)
    can_message = serializers.BooleanField(required=False)


class CaregiverListView(APIView):
    """The patient's caregivers (``include_revoked=true``: ended ones too); ``POST``
    invites one (an email as for any invitation, or a notice to an existing account)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatient]

    @extend_schema(responses=CaregiverGrantSerializer(many=True))
    def get(self, request):
        patient = own_patient(request.user)
        include_revoked = request.query_params.get("include_revoked") in ("true", "1")
        grants = selectors.caregiver_grants(patient, include_revoked=include_revoked)
        return Response(CaregiverGrantSerializer(grants, many=True).data)

    @extend_schema(request=CaregiverInputSerializer, responses={201: CaregiverGrantSerializer})
    def post(self, request):
        patient = own_patient(request.user)
        grant = services.invite_caregiver(patient=patient, data=request_body(request), invited_by=request.user)
        return Response(CaregiverGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class CaregiverGrantView(APIView):
    """``PATCH``: what the caregiver may do; ``DELETE``: their access ends now (the
    grant stays in the history). A revoked grant is a 404 for both."""

    permission_classes = [*BASE_PERMISSIONS, IsPatient]

    @extend_schema(request=CaregiverChangeSerializer, responses=CaregiverGrantSerializer)
    def patch(self, request, grant_id: int):
        grant = selectors.caregiver_grant_for_patient(own_patient(request.user), grant_id)
        grant = services.change_caregiver(grant=grant, data=request_body(request), changed_by=request.user)
        return Response(CaregiverGrantSerializer(grant).data)

    @extend_schema(responses={204: None})
    def delete(self, request, grant_id: int):
        grant = selectors.caregiver_grant_for_patient(own_patient(request.user), grant_id)
        services.revoke_caregiver(grant=grant, revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowedPatientSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    first_name = serializers.CharField(source="patient.user.first_name", read_only=True)
    last_name = serializers.CharField(source="patient.user.last_name", read_only=True)

    class Meta:
        model = CaregiverGrant
        fields = ["patient", "first_name", "last_name", "can_log_symptoms", "can_message", "urgent_alert_emails"]
        read_only_fields = fields


class UrgentEmailsSerializer(serializers.Serializer):
    """The shape, for the schema (the service validates: portal/validation.py)."""

    urgent_alert_emails = serializers.BooleanField()


class CaregivingListView(APIView):
    """The patients the caller follows as a caregiver, and what each allows."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrCaregiver]

    @extend_schema(responses=FollowedPatientSerializer(many=True))
    def get(self, request):
        grants = selectors.active_grants_of(request.user).select_related("patient__user")
        grants = grants.order_by("patient__user__first_name", "patient_id")
        return Response(FollowedPatientSerializer(grants, many=True).data)


class CaregivingDetailView(APIView):
    """``PATCH {"urgent_alert_emails": bool}``: the caregiver's own choice of the
    patient's urgent-alert emails (a link to sign in, no health data)."""

    permission_classes = [*BASE_PERMISSIONS, IsPatientOrCaregiver]

    @extend_schema(request=UrgentEmailsSerializer, responses=FollowedPatientSerializer)
    def patch(self, request, patient_id: int):
        grant = selectors.followed_grant(request.user, patient_id)
        if grant is None:
            raise Http404
        wanted = request_body(request).get("urgent_alert_emails")
        grant = services.set_urgent_alert_emails(grant=grant, wanted=wanted)
        return Response(FollowedPatientSerializer(grant).data)
