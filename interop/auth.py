"""How a lab system signs its requests: ``Authorization: Bearer <token>`` of an
integration client an admin created. The token opens the lab import only
(``ImportView``); every other endpoint ignores it (and answers 401 without a session).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from interop.models import IntegrationClient
from interop.services import token_hash
from portal.accounts.models import Role


class IntegrationClientAuthentication(authentication.BaseAuthentication):
    """``(AnonymousUser, client)`` for a valid token: the client is no person and has
    no session; the import view's permission reads ``request.auth``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send Authorization: Bearer <token>.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        client = IntegrationClient.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True).first()
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        IntegrationClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
        return AnonymousUser(), client

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="fhir"'


def lab_system_of(request) -> IntegrationClient | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, IntegrationClient) else None


class SignedInOrLabSystem(BasePermission):
    """401 for a request with neither a session nor a lab system's token."""

    def has_permission(self, request, view) -> bool:
        if lab_system_of(request) is not None:
            return True
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        return True


class ClinicianOrLabSystem(BasePermission):
    message = "Only clinicians and lab systems can send lab results."

    def has_permission(self, request, view) -> bool:
        return lab_system_of(request) is not None or request.user.role == Role.CLINICIAN
