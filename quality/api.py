"""Clinic quality endpoints (API.md "Clinic quality"). Thin: parse, call a selector
or a service, serialize."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.models import NeedleType
from patients.selectors import own_patient
from portal.clinic.selectors import current_clinic
from portal.permissions import IsPatient, MFARequiredForHealthData
from quality import selectors, services
from quality.definitions import SMALL_COUNT
from quality.models import Feedback
from quality.period import parse_period
from quality.selectors import QualityFigures, Rate
from quality.services import MAX_COMMENT


class IsQualityReader(BasePermission):
    message = "Only quality leads and admins can read the clinic's quality figures."

    def has_permission(self, request, view) -> bool:
        return selectors.may_read_quality(request.user)


# --- Feedback ------------------------------------------------------------------------------


class FeedbackInputSerializer(serializers.Serializer):
    """The shape, for the schema; ``quality.services.check_feedback`` validates."""

    clarity = serializers.IntegerField(min_value=1, max_value=5)
    responsiveness = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    procedure = serializers.IntegerField(source="procedure_id")
    clarity = serializers.IntegerField()
    responsiveness = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class FeedbackStateSerializer(serializers.Serializer):
    procedure = serializers.IntegerField(allow_null=True, help_text="The latest procedure, which feedback is about.")
    available_from = serializers.DateTimeField(allow_null=True, help_text="Day 3 after the procedure.")
    due = serializers.BooleanField(help_text="Feedback can be given now and has not been.")
    feedback = FeedbackSerializer(allow_null=True)


ALREADY_GIVEN = "You have already given feedback on this procedure. Thank you."


class FeedbackView(APIView):
    """The patient's feedback on their latest procedure: once, from day 3."""

    permission_classes = [IsAuthenticated, MFARequiredForHealthData, IsPatient]

    @extend_schema(responses=FeedbackStateSerializer)
    def get(self, request):
        state = selectors.feedback_state(own_patient(request.user))
        return Response(
            FeedbackStateSerializer(
                {
                    "procedure": state.procedure.pk if state.procedure else None,
                    "available_from": state.available_from,
                    "due": state.due,
                    "feedback": state.given,
                }
            ).data
        )

    @extend_schema(
        request=FeedbackInputSerializer,
        responses={
            201: FeedbackSerializer,
            400: OpenApiResponse(description="A field is invalid (named), or it is before day 3."),
            409: OpenApiResponse(
                inline_serializer("FeedbackConflict", {"detail": serializers.CharField()}),
                description="Feedback on this procedure was given already.",
            ),
        },
    )
    def post(self, request):
        patient = own_patient(request.user)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            feedback: Feedback = services.give_feedback(patient=patient, data=data, by=request.user)
        except services.FeedbackAlreadyGiven:
            return Response({"detail": ALREADY_GIVEN}, status=status.HTTP_409_CONFLICT)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


# --- The figures -----------------------------------------------------------------------------


class NeedleRateSerializer(serializers.Serializer):
    needle_type = serializers.ChoiceField(choices=NeedleType.choices)
    needle_gauge = serializers.IntegerField(allow_null=True)
    procedures = serializers.IntegerField(allow_null=True)
    pdph = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class ReferralRateSerializer(serializers.Serializer):
    needle_type = serializers.ChoiceField(choices=NeedleType.choices)
    procedures = serializers.IntegerField(allow_null=True)
    referrals = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True)


class TimeBucketSerializer(serializers.Serializer):
    start = serializers.DateField()
    size = serializers.ChoiceField(choices=["month", "quarter"])
    procedures = serializers.IntegerField(allow_null=True)


class QualitySerializer(serializers.Serializer):
    """API.md's fields, plus the period, the per-type rows and the extra measures.
    Every count under 5, and every figure that would give one away, is null."""

    period_from = serializers.DateField(source="period.first_day")
    period_to = serializers.DateField(source="period.last_day")
    procedures = serializers.IntegerField(allow_null=True)
    procedures_by_time = TimeBucketSerializer(many=True, help_text="Per month (per quarter over two years).")
    pdph_by_needle = NeedleRateSerializer(many=True)
    pdph_by_needle_type = NeedleRateSerializer(many=True)
    pdph_ratio_atraumatic_to_cutting = serializers.FloatField(allow_null=True)
    blood_patch_referrals = serializers.IntegerField(allow_null=True)
    blood_patch_rate = serializers.FloatField(allow_null=True)
    blood_patch_by_needle_type = ReferralRateSerializer(many=True)
    urgent_ack_minutes = inline_serializer(
        "UrgentAcknowledgement",
        {
            "median": serializers.FloatField(allow_null=True),
            "p90": serializers.FloatField(allow_null=True),
            "alerts": serializers.IntegerField(allow_null=True),
            "acknowledged_share": serializers.FloatField(allow_null=True),
            "within_minutes": serializers.IntegerField(),
            "share_within": serializers.FloatField(allow_null=True),
            "escalations": serializers.IntegerField(allow_null=True),
        },
    )
    message_reply_hours = inline_serializer(
        "MessageReplies",
        {
            "median": serializers.FloatField(allow_null=True),
            "p90": serializers.FloatField(allow_null=True),
            "messages": serializers.IntegerField(allow_null=True),
            "answered_share": serializers.FloatField(allow_null=True),
        },
    )
    feedback = inline_serializer(
        "FeedbackFigures",
        {
            "n": serializers.IntegerField(allow_null=True),
            "clarity": serializers.FloatField(allow_null=True),
            "responsiveness": serializers.FloatField(allow_null=True),
            "response_share": serializers.FloatField(allow_null=True),
        },
    )
    suppressed_below = serializers.IntegerField(help_text="Counts under this are null.")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _needle(row, rate: Rate) -> dict:
    return {
        "needle_type": row.needle_type,
        "needle_gauge": row.needle_gauge,
        "procedures": rate.procedures,
        "pdph": rate.count,
        "rate": _round(rate.rate, 4),
        "ci_low": _round(rate.ci_low, 4),
        "ci_high": _round(rate.ci_high, 4),
    }


def figures_payload(figures: QualityFigures) -> dict:
    urgent, replies, feedback = figures.urgent, figures.replies, figures.feedback
    return {
        "period_from": figures.period.first_day,
        "period_to": figures.period.last_day,
        "procedures": figures.procedures,
        "procedures_by_time": [
            {"start": bucket.start.isoformat(), "size": bucket.size, "procedures": bucket.procedures}
            for bucket in figures.by_time
        ],
        "pdph_by_needle": [_needle(row, row.pdph) for row in figures.by_needle],
        "pdph_by_needle_type": [_needle(row, row.pdph) for row in figures.by_needle_type],
        "pdph_ratio_atraumatic_to_cutting": _round(figures.pdph_ratio, 4),
        "blood_patch_referrals": figures.blood_patch_referrals,
        "blood_patch_rate": _round(figures.blood_patch_share, 4),
        "blood_patch_by_needle_type": [
            {
                "needle_type": row.needle_type,
                "procedures": row.referrals.procedures,
                "referrals": row.referrals.count,
                "rate": _round(row.referrals.rate, 4),
            }
            for row in figures.by_needle_type
        ],
        "urgent_ack_minutes": {
            "median": _round(urgent.median_minutes, 2),
            "p90": _round(urgent.p90_minutes, 2),
            "alerts": urgent.alerts,
            "acknowledged_share": _round(urgent.acknowledged_share, 4),
            "within_minutes": urgent.target_minutes,
            "share_within": _round(urgent.within_target_share, 4),
            "escalations": urgent.escalations,
        },
        "message_reply_hours": {
            "median": _round(replies.median_hours, 2),
            "p90": _round(replies.p90_hours, 2),
            "messages": replies.messages,
            "answered_share": _round(replies.answered_share, 4),
        },
        "feedback": {
            "n": feedback.n,
            "clarity": _round(feedback.clarity, 2),
            "responsiveness": _round(feedback.responsiveness, 2),
            "response_share": _round(feedback.response_share, 4),
        },
        "suppressed_below": SMALL_COUNT,
    }


DATE_PARAMS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD, clinic time zone); default 12 months ago."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included; default today. At most 5 years."),
]


class QualityView(APIView):
    """The clinic's quality figures for a period (quality leads and admins)."""

    permission_classes = [IsAuthenticated, MFARequiredForHealthData, IsQualityReader]

    @extend_schema(
        parameters=DATE_PARAMS,
        responses={200: QualitySerializer, 400: OpenApiResponse(description="'from' or 'to' is invalid; named.")},
    )
    def get(self, request):
        clinic = current_clinic()
        today = timezone.now().astimezone(clinic.zone).date()
        period = parse_period(
            request.query_params.get("from"), request.query_params.get("to"), today=today, zone=clinic.zone
        )
        return Response(figures_payload(selectors.quality_figures(period)))
