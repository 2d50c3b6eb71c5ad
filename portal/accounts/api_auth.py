from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from portal.accounts.sessions import session_is_fresh


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's app session token (``X-Session-Token``), with our session lifetime.

    Listed first so that an unauthenticated API call gets 401 (this class names a
    ``WWW-Authenticate`` challenge; session authentication has none and would 403).
    """

    def authenticate(self, request):
        token = self.get_session_token(request)
        if not token:
            return None
        result = authenticate_by_x_session_token(token)
        if result is None:
            raise exceptions.AuthenticationFailed("Session expired or invalid.")
        user, session = result
        if not session_is_fresh(session, user.role):
            session.flush()
            raise exceptions.AuthenticationFailed("Session expired. Sign in again.")
        if session.modified:
            session.save()
        return user, session

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """Describes ``X-Session-Token`` in the OpenAPI schema (drf-spectacular finds this
    class by its target when the schema is generated)."""

    target_class = "portal.accounts.api_auth.SessionTokenAuthentication"
    name = "sessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "The app session token from POST /_allauth/app/v1/auth/login (meta.session_token).",
        }
