"""Per-session MFA (API.md, Authentication): a clinician's or admin's session, browser
cookie or app token, reaches health data only if it passed the TOTP step itself;
setting up or resetting TOTP, and a password change, end the user's other sessions.

The attack these tests replay: a password-only session (app token or browser),
made before the clinician set up TOTP, kept full access to patient data once TOTP
was set up elsewhere; the same after an admin's "reset two-factor", and in /admin/.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from rest_framework.test import APIClient

from portal.accounts import services
from portal.accounts.mfa import MFAStatus, mfa_status, session_passed_mfa
from tests.factories import TEST_PASSWORD, AdminFactory, ClinicianFactory, enable_totp, totp_code
from tests.sessions import password_only_sign_in, record_mfa_step, sign_in

# A code computed here must still be valid when the server checks it.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.portal.urls_health_data"),
    pytest.mark.usefixtures("frozen_clock"),
]

HEALTH_PROBE = "/api/v1/test-health-data/"


def app_token(email: str, password: str = TEST_PASSWORD) -> str:
    response = APIClient().post("/_allauth/app/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def app_token_with_totp(email: str, secret: str) -> str:
    client = APIClient()
    response = client.post("/_allauth/app/v1/auth/login", {"email": email, "password": TEST_PASSWORD}, format="json")
    token = response.json()["meta"]["session_token"]
    response = client.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": totp_code(secret)}, format="json", HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def probe(token: str) -> int:
    return APIClient().get(HEALTH_PROBE, HTTP_X_SESSION_TOKEN=token).status_code


def browser_sign_in(user, secret: str | None = None) -> Client:
    """The real sign-in pages: password, then the code when TOTP is set up."""
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content[:300]
    if secret is not None:
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302
    return client


def activate_totp_in_browser(client: Client, django_capture_on_commit_callbacks) -> str:
    """allauth's own set-up page, as the clinician uses it right after signing in
    (no second password prompt: tests/portal/test_first_sign_in.py): scan, type the code."""
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200, response.get("Location")
    secret = response.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content[:300]
    return secret


# --- The finding, replayed ---------------------------------------------------------------------


def test_an_app_token_from_before_totp_was_set_up_elsewhere_reaches_no_health_data(
    clinician_without_mfa, django_capture_on_commit_callbacks
):
    old_token = app_token(clinician_without_mfa.email)
    assert probe(old_token) == 403  # no TOTP yet: mfa_required

    browser = browser_sign_in(clinician_without_mfa)
    secret = activate_totp_in_browser(browser, django_capture_on_commit_callbacks)

    # Before: 200 with the patient data. Now the old token is ended outright.
    assert probe(old_token) == 401
    # The browser session that set TOTP up passed the step (it typed a code) and carries on.
    assert browser.get(HEALTH_PROBE).status_code == 200
    # A new app sign-in passes the TOTP step and gets in.
    assert probe(app_token_with_totp(clinician_without_mfa.email, secret)) == 200


def test_a_browser_session_from_before_totp_was_set_up_elsewhere_is_ended(
    clinician_without_mfa, django_capture_on_commit_callbacks
):
    old_browser = browser_sign_in(clinician_without_mfa)
    assert old_browser.get("/settings/").status_code == 200
    activate_totp_in_browser(browser_sign_in(clinician_without_mfa), django_capture_on_commit_callbacks)
    # Signed out: each door sends to its sign-in, the API answers as to a stranger.
    signed_out = {"/": (302, "/accounts/login/"), "/admin/": (302, "/admin/login/"), HEALTH_PROBE: (401, None)}
    for path, (status, sign_in_page) in signed_out.items():
        response = old_browser.get(path)
        assert response.status_code == status, path
        assert response.get("Location", "").startswith(sign_in_page or ""), path
    response = old_browser.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_only_session_of_a_clinician_with_totp_gets_mfa_required_from_the_api(clinician):
    """The per-session check itself, whatever ended or did not end the session: a
    session that never passed the TOTP step (here from before this check existed)."""
    client = APIClient()
    password_only_sign_in(client, clinician)
    response = client.get(HEALTH_PROBE)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert "did not pass two-factor" in response.json()["detail"]
    sign_in(client, clinician)
    assert client.get(HEALTH_PROBE).status_code == 200


def test_a_password_only_browser_session_is_signed_out_of_pages_and_the_admin(clinician):
    admin = AdminFactory()
    for user, path in ((clinician, "/patients/"), (admin, "/admin/"), (admin, "/admin/accounts/user/")):
        client = Client()
        password_only_sign_in(client, user)
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/login/?next={path}"
        # The sign-in page says what to do; the session is gone: not even the account
        # pages are open to it.
        page = client.get(response["Location"]).content.decode()
        assert "Sign in again with your password and your authenticator code." in page
        assert client.get("/settings/")["Location"].startswith("/accounts/login/")


def test_a_password_only_session_cannot_read_or_make_recovery_codes(clinician):
    """Recovery codes pass the TOTP step: a password-only session must not reach them,
    in the browser or with an app token."""
    RecoveryCodes.activate(clinician)
    browser = Client()
    password_only_sign_in(browser, clinician)
    for path in ("/accounts/2fa/recovery-codes/", "/accounts/2fa/recovery-codes/generate/"):
        response = browser.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path

    app = APIClient()
    password_only_sign_in(app, clinician)
    token = app.cookies["sessionid"].value
    response = APIClient().get("/_allauth/app/v1/account/authenticators/recovery-codes", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 410  # the session was ended: allauth's "sign in again"
    assert APIClient().get(HEALTH_PROBE, HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_an_app_token_still_signing_in_is_left_to_allauth(clinician):
    """A token half-way through sign-in (password given, code not yet) is not ended:
    the code step comes next on that very token."""
    secret = enable_totp(ClinicianFactory(mfa=False, email="half.way@example.test"))
    client = APIClient()
    response = client.post(
        "/_allauth/app/v1/auth/login", {"email": "half.way@example.test", "password": TEST_PASSWORD}, format="json"
    )
    token = response.json()["meta"]["session_token"]
    assert client.get("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token).status_code == 401
    response = client.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": totp_code(secret)}, format="json", HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 200


# --- Reset and password change end the other sessions ------------------------------------------


def test_an_admins_reset_ends_every_session_of_the_user(clinician):
    secret = Authenticator.objects.get(user=clinician, type="totp").wrap().instance.data  # sealed; unused
    assert secret
    token = APIClient()
    sign_in(token, clinician)
    app = token.cookies["sessionid"].value
    browser = Client()
    sign_in(browser, clinician)
    assert probe(app) == 200 and browser.get(HEALTH_PROBE).status_code == 200

    services.reset_mfa(user=clinician, actor=AdminFactory())

    assert probe(app) == 401
    assert browser.get("/settings/")["Location"].startswith("/accounts/login/")


def test_a_record_of_a_removed_authenticator_counts_for_nothing(clinician):
    """A session that passed the step with an authenticator that was reset and set
    up again does not carry over (the session would be ended anyway)."""
    client = Client()
    sign_in(client, clinician)
    session = client.session
    Authenticator.objects.filter(user=clinician).delete()
    enable_totp(clinician)
    clinician.refresh_from_db()
    assert not session_passed_mfa(session, clinician)
    assert mfa_status(clinician, session) is MFAStatus.STEP_NEEDED


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one():
    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    other_token = app_token_with_totp(user.email, secret)
    other_browser, this_browser = Client(), Client()
    sign_in(other_browser, user)  # a code is good once: these two skip typing it
    sign_in(this_browser, user)
    assert probe(other_token) == 200

    response = this_browser.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": "a-new-Long-pass-77", "password2": "a-new-Long-pass-77"},
    )
    assert response.status_code == 302, response.content[:400]

    assert probe(other_token) == 401
    assert other_browser.get("/settings/")["Location"].startswith("/accounts/login/")
    assert this_browser.get(HEALTH_PROBE).status_code == 200


def test_a_patient_setting_up_totp_ends_their_other_sessions(patient, django_capture_on_commit_callbacks):
    old_token = app_token(patient.user.email)
    assert probe(old_token) == 200
    activate_totp_in_browser(browser_sign_in(patient.user), django_capture_on_commit_callbacks)
    assert probe(old_token) == 401


def test_the_record_the_checks_read_is_the_one_allauth_writes(clinician):
    """The helper that makes test sessions writes through allauth's own function;
    the check reads through allauth's reader: a format change breaks here."""
    client = Client()
    client.force_login(clinician)
    session = client.session
    assert not session_passed_mfa(session, clinician)
    record_mfa_step(session, clinician)
    assert session_passed_mfa(session, clinician)
