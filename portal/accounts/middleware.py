from __future__ import annotations

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from portal.accounts.mfa import MFAStatus, mfa_status
from portal.accounts.sessions import session_is_fresh

# The machine interfaces: the JSON API and the FHIR API (interop/). They answer for
# themselves (403 mfa_required, 401), never with a redirect to a page.
API_PREFIXES = ("/api/", "/fhir/")
KEEP_ALIVE_PATH = "/accounts/session/keep-alive/"
# Paths a clinician or admin may open before enrolling MFA: signing in and out,
# setting up MFA, the APIs (which answer 403 mfa_required themselves) and assets.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/_allauth/", *API_PREFIXES, "/static/", "/invitations/", "/settings/")


class SessionTimeoutMiddleware:
    """Signs out a browser session idle too long or older than 12 hours."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not session_is_fresh(request.session, user.role):
            logout(request)
            messages.info(request, "You were signed out after a period of inactivity. Please sign in again.")
            # The time-out warning's "Stay signed in" is told by its own 401, not a page.
            if not request.path.startswith(API_PREFIXES) and request.path != KEEP_ALIVE_PATH:
                return redirect(f"/accounts/login/?next={request.path}")
        return self.get_response(request)


class MFARequiredMiddleware:
    """Clinicians and admins see no page with health data (nor the admin site)
    until they have set up TOTP: every other page sends them to the set-up page.

    A session of theirs that did not itself pass the TOTP step (signed in with the
    password before TOTP was set up elsewhere) is ended: pages send it to the
    sign-in page, allauth's endpoints answer it as a visitor that is not signed in,
    and an app token of that kind is ended too. The API answers such a session
    403 ``mfa_required`` itself (API.md, Authentication).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith("/static/"):
            return self.get_response(request)
        if path.startswith(APP_PREFIX):
            _end_app_session_without_mfa_step(request)
            return self.get_response(request)
        user = getattr(request, "user", None)
        status = mfa_status(user, getattr(request, "session", None))
        if status is MFAStatus.STEP_NEEDED and not path.startswith(API_PREFIXES):
            logout(request)
            messages.warning(request, "Sign in again with your password and your authenticator code.")
            if not path.startswith(("/_allauth/", "/accounts/")):
                return redirect_to_login(request.get_full_path())
        elif status is MFAStatus.SET_UP_NEEDED and not path.startswith(MFA_EXEMPT_PREFIXES):
            messages.warning(request, "Set up two-factor authentication before you continue.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)


APP_PREFIX = "/_allauth/app/"


def _end_app_session_without_mfa_step(request) -> None:
    """allauth's app endpoints read the ``X-Session-Token`` session themselves: one
    that belongs to a clinician or admin with TOTP but never passed the step is
    deleted, so allauth answers it as an ended session."""
    token = request.headers.get("X-Session-Token")
    if not token:
        return
    result = authenticate_by_x_session_token(token)
    if result is None:
        return  # unknown, ended or still signing in: allauth answers it
    user, session = result
    if mfa_status(user, session) is MFAStatus.STEP_NEEDED:
        session.flush()
