"""Alerts API (API.md "Alerts"): thin views over the selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from alerts import selectors, services
from alerts.inbox import trigger_of
from alerts.models import Alert
from alerts.raising import firing_codes
from portal.api import request_body
from portal.audit.services import audit_read
from portal.clinic.selectors import Clinic, current_clinic
from portal.clinic.texts import with_clinic
from portal.permissions import IsClinician, IsPatientClinicianOrCaregiver, IsPatientOrClinician
from portal.validation import NOT_SENT

DEFAULT_PERMISSIONS = list(api_settings.DEFAULT_PERMISSION_CLASSES)


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.code")
    rules = serializers.SerializerMethodField(help_text="Every rule that fired on the entry, the most serious first.")
    message = serializers.SerializerMethodField()
    trigger = serializers.SerializerMethodField(
        help_text="The entry's values when it fired: temperature_c, headache, back_pain and the signs ticked."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "rule",
            "rules",
            "severity",
            "status",
            "created_at",
            "acknowledged_at",
            "entry",
            "message",
            "audience",
            "resolved_at",
            "trigger",
        ]

    def clinic(self) -> Clinic:
        """The clinic's settings, read once per response (a list shares its context)."""
        if "clinic" not in self.context:
            self.context["clinic"] = current_clinic()
        return self.context["clinic"]

    def get_message(self, alert: Alert) -> str:
        return with_clinic(alert.message, self.clinic())

    def get_rules(self, alert: Alert) -> list[str]:
        return firing_codes(alert)

    def get_trigger(self, alert: Alert) -> dict:
        return trigger_of(alert)


class ClinicianAlertSerializer(AlertSerializer):
    """What the care team sees besides: their own wording, who acted, and the notes."""

    message = serializers.SerializerMethodField()
    # Not required in the schema: the list documents one shape for both readers, and
    # a patient's alerts carry only AlertSerializer's fields.
    patient_message = serializers.CharField(source="message", required=False)
    acknowledged_by = serializers.CharField(source="acknowledged_by.display_name", default=None, allow_null=True)
    resolved_by = serializers.CharField(source="resolved_by.display_name", default=None, allow_null=True)

    class Meta(AlertSerializer.Meta):
        fields = [
            *AlertSerializer.Meta.fields,
            "patient_message",
            "acknowledged_by",
            "note",
            "resolved_by",
            "resolution_note",
            "escalated_at",
        ]

    def get_message(self, alert: Alert) -> str:
        return alert.clinician_message or with_clinic(alert.message, self.clinic())

    def to_representation(self, alert: Alert) -> dict:
        data = super().to_representation(alert)
        data["patient_message"] = with_clinic(alert.message, self.clinic())
        return data


def serialize(alerts, user) -> list[dict]:
    serializer = ClinicianAlertSerializer if user.role == "clinician" else AlertSerializer
    return serializer(alerts, many=True).data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_NOTE)


class AlertListView(APIView):
    permission_classes = [*DEFAULT_PERMISSIONS, IsPatientClinicianOrCaregiver]

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int, description="A patient id (clinicians: one of their care team)"),
            OpenApiParameter("status", str, enum=["open", "acknowledged", "resolved"]),
        ],
        responses=ClinicianAlertSerializer(many=True),
    )
    def get(self, request):
        alerts = list(
            selectors.alert_list_for(
                request.user, patient_id=request.query_params.get("patient"), status=request.query_params.get("status")
            )
        )
        named = request.query_params.get("patient", "")
        shown = {a.patient_id for a in alerts} | ({int(named)} if named.isdigit() else set())  # checked above
        audit_read(user=request.user, patient_ids=shown, request=request, action="alerts.read")
        return Response(serialize(alerts, request.user))


class AlertDetailView(APIView):
    """``GET /api/v1/alerts/<id>/``: one alert, the same fields as the list."""

    permission_classes = [*DEFAULT_PERMISSIONS, IsPatientOrClinician]

    @extend_schema(responses=ClinicianAlertSerializer)
    def get(self, request, alert_id: int):
        alert = selectors.alert_for(request.user, alert_id)
        audit_read(user=request.user, patient_id=alert.patient_id, obj=alert, request=request, action="alert.read")
        serializer = ClinicianAlertSerializer if request.user.role == "clinician" else AlertSerializer
        return Response(serializer(alert).data)


class _AlertActionView(APIView):
    permission_classes = [*DEFAULT_PERMISSIONS, IsClinician]
    action_name = ""

    @extend_schema(request=NoteSerializer, responses=ClinicianAlertSerializer)
    def post(self, request, alert_id: int):
        alert = selectors.alert_for(request.user, alert_id)
        action = services.acknowledge_alert if self.action_name == "acknowledge" else services.resolve_alert
        alert = action(alert=alert, by=request.user, note=request_body(request).get("note", ""))
        alert = selectors.alert_for(request.user, alert.pk)
        return Response(ClinicianAlertSerializer(alert).data)


class AcknowledgeAlertView(_AlertActionView):
    action_name = "acknowledge"


class ResolveAlertView(_AlertActionView):
    action_name = "resolve"


class ThresholdSerializer(serializers.Serializer):
    rule = serializers.CharField()
    description = serializers.CharField(read_only=True)
    key = serializers.CharField(read_only=True)
    default = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False, read_only=True)
    value = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False, allow_null=True)
    custom = serializers.BooleanField(read_only=True)
    min = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False, read_only=True)
    max = serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False, read_only=True)
    set_by = serializers.CharField(read_only=True, allow_null=True)
    set_at = serializers.DateTimeField(read_only=True, allow_null=True)
    enabled = serializers.BooleanField(read_only=True)


class ThresholdsView(APIView):
    """A patient's adjustable thresholds (clinicians of the care team)."""

    permission_classes = [*DEFAULT_PERMISSIONS, IsClinician]

    @extend_schema(responses=ThresholdSerializer(many=True))
    def get(self, request, patient_id: int):
        patient = selectors.visible_patient(request.user, patient_id)
        audit_read(user=request.user, patient_id=patient.pk, request=request, action="alert_thresholds.read")
        return Response(ThresholdSerializer(selectors.thresholds_of(patient), many=True).data)

    @extend_schema(request=ThresholdSerializer, responses=ThresholdSerializer(many=True))
    def put(self, request, patient_id: int):
        patient = selectors.visible_patient(request.user, patient_id)
        data = request_body(request)
        services.set_patient_threshold(
            patient=patient,
            rule_code=data.get("rule", NOT_SENT),
            value=data.get("value", NOT_SENT),
            set_by=request.user,
        )
        return Response(ThresholdSerializer(selectors.thresholds_of(patient), many=True).data)
