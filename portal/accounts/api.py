"""Account endpoints: ``/api/v1/me`` and invitation acceptance."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import services
from portal.accounts.models import DisplayUnits, Role
from portal.api import DetailSerializer, request_body
from portal.plugins import followed_patient_ids


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    specialty = serializers.CharField(read_only=True)
    display_units = serializers.ChoiceField(choices=DisplayUnits.choices)
    time_zone = serializers.CharField(max_length=64)
    patient_id = serializers.SerializerMethodField()
    mfa_enabled = serializers.SerializerMethodField()
    patients = serializers.SerializerMethodField(
        help_text="The patients this user may act for as a caregiver (empty for anyone else)."
    )

    def get_patients(self, user) -> list[int]:
        return followed_patient_ids(user)

    def get_patient_id(self, user) -> int | None:
        patient = getattr(user, "patient", None)
        return patient.pk if patient is not None else None

    def get_mfa_enabled(self, user) -> bool:
        return is_mfa_enabled(user)


class MeView(APIView):
    """The signed-in user. Needs no MFA: it carries no health data."""

    health_data = False

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request):
        data = request_body(request)
        user = services.update_account_settings(
            user=request.user, **{name: data[name] for name in ("display_units", "time_zone") if name in data}
        )
        return Response(MeSerializer(user).data)


# Request shapes, for the schema: the account services validate what is sent.


class AcceptInvitationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=200, write_only=True, trim_whitespace=False)
    totp_code = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="A clinician's or admin's invitation: the code the authenticator app shows for the secret "
        "of POST /api/v1/invitations/totp/.",
    )


class InvitationTokenView(APIView):
    """Open to anyone: the invitation token in the body is the credential."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    health_data = False


class AcceptInvitationView(InvitationTokenView):
    """Set a password from an invitation token (and, for a clinician or admin, set up
    TOTP with ``totp_code``); the token is spent."""

    @extend_schema(request=AcceptInvitationSerializer, responses=DetailSerializer)
    def post(self, request):
        data = request_body(request)
        user = services.accept_invitation(
            token=data.get("token"), password=data.get("password"), totp_code=data.get("totp_code")
        )
        return Response({"detail": "Your password is set. You can sign in now.", "email": user.email})


class InvitationTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class InvitationTOTPSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True)
    otpauth_url = serializers.CharField(read_only=True)


class InvitationTOTPView(InvitationTokenView):
    """The TOTP secret a clinician's or admin's invitation sets up (the same one on
    every call until the invitation is accepted): add it to an authenticator app,
    then accept with the app's code as ``totp_code``."""

    @extend_schema(request=InvitationTokenSerializer, responses=InvitationTOTPSerializer)
    def post(self, request):
        setup = services.invitation_totp_setup_for_token(request_body(request).get("token"))
        return Response(InvitationTOTPSerializer(setup).data)
