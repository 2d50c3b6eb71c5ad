from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

from portal.accounts.sessions import session_is_fresh
from portal.permissions import needs_mfa

# Paths a clinician or admin may open before enrolling MFA: signing in and out,
# setting up MFA, the API (which answers 403 mfa_required itself) and assets.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/_allauth/", "/api/", "/static/", "/invitations/", "/settings/")


class SessionTimeoutMiddleware:
    """Signs out a browser session idle too long or older than 12 hours."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not session_is_fresh(request.session, user.role):
            logout(request)
            messages.info(request, "You were signed out after a period of inactivity. Please sign in again.")
            if not request.path.startswith("/api/"):
                return redirect(f"/accounts/login/?next={request.path}")
        return self.get_response(request)


class MFARequiredMiddleware:
    """Clinicians and admins see no page with health data (nor the admin site)
    until they have set up TOTP: every other page sends them to the set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(MFA_EXEMPT_PREFIXES) and needs_mfa(getattr(request, "user", None)):
            messages.warning(request, "Set up two-factor authentication before you continue.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)
