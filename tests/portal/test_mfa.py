"""MFA: TOTP and recovery codes for everyone, sealed at rest, required for clinicians
and admins before any health data (pages, admin site, API)."""

from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import decrypt

from portal.accounts.adapters import PREFIX
from portal.permissions import MFARequiredForHealthData, needs_mfa
from tests.factories import TEST_PASSWORD, ClinicianFactory, UserFactory, enable_totp, totp_code
from tests.sessions import record_mfa_step

# A code computed by the test must still be valid when the server checks it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


HEALTH_PROBE = "/api/v1/test-health-data/"


# --- Secrets at rest ---------------------------------------------------------------------------


def test_totp_secret_is_sealed_at_rest():
    user = UserFactory()
    secret = enable_totp(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    stored = json.dumps(authenticator.data)
    assert secret not in stored
    assert authenticator.data["secret"].startswith(PREFIX)
    assert decrypt(authenticator.data["secret"]) == secret


def test_recovery_code_seed_is_sealed_at_rest():
    user = UserFactory()
    codes = RecoveryCodes.activate(user)
    authenticator = codes.instance
    assert authenticator.data["seed"].startswith(PREFIX)
    seed = decrypt(authenticator.data["seed"])
    assert seed not in json.dumps(authenticator.data)
    assert len(codes.get_unused_codes()) == 10


def test_a_clear_secret_is_refused():
    from portal.accounts.adapters import MFAAdapter

    with pytest.raises(ValueError):
        MFAAdapter().decrypt("JBSWY3DPEHPK3PXP")


# --- Who needs MFA -----------------------------------------------------------------------------


def test_needs_mfa_by_role(patient, clinician, clinician_without_mfa, admin):
    assert not needs_mfa(patient.user)
    assert not needs_mfa(clinician)
    assert needs_mfa(clinician_without_mfa)
    assert not needs_mfa(admin)
    from tests.factories import AdminFactory

    assert needs_mfa(AdminFactory(mfa=False))


def test_staff_flag_alone_needs_mfa():
    staff_patient_role = UserFactory(is_staff=True)
    assert needs_mfa(staff_patient_role)


# --- Pages ---------------------------------------------------------------------------------------


def test_pages_redirect_a_clinician_without_mfa_to_totp_setup(client_for, clinician_without_mfa):
    client = client_for(clinician_without_mfa)
    for path in ["/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/accounts/2fa/totp/activate/", path


def test_admin_site_needs_mfa_for_an_admin(client_for):
    from tests.factories import AdminFactory

    admin_without_mfa = AdminFactory(mfa=False)
    response = client_for(admin_without_mfa).get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_admin_with_mfa_reaches_the_admin_site(client_for, admin):
    assert client_for(admin).get("/admin/").status_code == 200


def test_pages_work_for_a_clinician_with_mfa(client_for, clinician):
    assert client_for(clinician).get("/").status_code == 200


def test_patient_without_mfa_sees_pages(client_for, patient):
    assert client_for(patient.user).get("/").status_code == 200


def test_account_pages_stay_open_before_mfa(client_for, clinician_without_mfa):
    client = client_for(clinician_without_mfa)
    assert client.get("/settings/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.urls("tests.portal.urls_health_data")
def test_api_health_data_needs_mfa(client_for, clinician_without_mfa):
    response = client_for(clinician_without_mfa).get(HEALTH_PROBE)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "mfa_required"
    assert body["detail"]


@pytest.mark.urls("tests.portal.urls_health_data")
def test_api_health_data_with_mfa(client_for, clinician, patient):
    assert client_for(clinician).get(HEALTH_PROBE).status_code == 200
    assert client_for(patient.user).get(HEALTH_PROBE).status_code == 200


@pytest.mark.urls("tests.portal.urls_health_data")
def test_api_health_data_anonymous_is_401(anon_client):
    assert anon_client.get(HEALTH_PROBE).status_code == 401


def test_me_works_without_mfa(client_for, clinician_without_mfa, clinician):
    body = client_for(clinician_without_mfa).get("/api/v1/me").json()
    assert body["mfa_enabled"] is False
    assert client_for(clinician).get("/api/v1/me").json()["mfa_enabled"] is True


def test_permission_class_directly(rf, clinician_without_mfa, clinician):
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.exceptions import PermissionDenied

    class View:
        pass

    class NoHealthData:
        health_data = False

    request = rf.get("/")
    request.session = SessionStore()
    request.user = clinician_without_mfa
    with pytest.raises(PermissionDenied) as excinfo:
        MFARequiredForHealthData().has_permission(request, View())
    assert excinfo.value.get_codes() == "mfa_required"
    assert MFARequiredForHealthData().has_permission(request, NoHealthData())
    # TOTP set up, but this session did not pass the step: refused all the same.
    request.user = clinician
    with pytest.raises(PermissionDenied) as excinfo:
        MFARequiredForHealthData().has_permission(request, View())
    assert excinfo.value.get_codes() == "mfa_required"
    record_mfa_step(request.session, clinician)
    assert MFARequiredForHealthData().has_permission(request, View())


# --- Browser sign-in with TOTP -------------------------------------------------------------------


def test_browser_sign_in_with_totp(client):
    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    response = client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in until the code is given
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_browser_sign_in_with_a_recovery_code(client):
    user = ClinicianFactory(mfa=False)
    enable_totp(user)
    code = RecoveryCodes.activate(user).get_unused_codes()[0]
    client.post("/accounts/login/", {"login": user.email, "password": TEST_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


# --- App (headless) sign-in ----------------------------------------------------------------------


def app_login(client, email, password=TEST_PASSWORD):
    return client.post("/_allauth/app/v1/auth/login", {"email": email, "password": password}, format="json")


def test_app_sign_in_for_a_patient(anon_client, patient):
    response = app_login(anon_client, patient.user.email)
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    me = anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["patient_id"] == patient.pk


def test_app_sign_in_with_a_wrong_password(anon_client, patient):
    response = app_login(anon_client, patient.user.email, "wrong-password-123")
    assert response.status_code == 400
    assert "session_token" not in response.json().get("meta", {})


def test_app_sign_in_for_a_clinician_with_totp(anon_client):
    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    response = app_login(anon_client, user.email)
    assert response.status_code == 401
    body = response.json()
    flows = {flow["id"]: flow for flow in body["data"]["flows"]}
    assert flows["mfa_authenticate"].get("is_pending") is True
    token = body["meta"]["session_token"]
    # Not signed in yet: the API refuses the half-authenticated token.
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401

    response = anon_client.post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        {"code": totp_code(secret)},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert response.status_code == 200, response.json()
    token = response.json()["meta"]["session_token"]
    me = anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert me.status_code == 200
    assert me.json()["mfa_enabled"] is True
    assert me.json()["role"] == "clinician"


@pytest.mark.urls("tests.portal.urls_health_data")
def test_app_token_of_a_clinician_with_totp_reaches_health_data(anon_client):
    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    token = app_login(anon_client, user.email).json()["meta"]["session_token"]
    response = anon_client.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": totp_code(secret)}, format="json", HTTP_X_SESSION_TOKEN=token
    )
    token = response.json()["meta"]["session_token"]
    assert anon_client.get(HEALTH_PROBE, HTTP_X_SESSION_TOKEN=token).status_code == 200


@pytest.mark.urls("tests.portal.urls_health_data")
def test_app_token_of_a_clinician_without_mfa_gets_mfa_required(anon_client, clinician_without_mfa):
    response = app_login(anon_client, clinician_without_mfa.email)
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).json()["mfa_enabled"] is False
    probe = anon_client.get(HEALTH_PROBE, HTTP_X_SESSION_TOKEN=token)
    assert probe.status_code == 403
    assert probe.json()["code"] == "mfa_required"


def test_wrong_totp_code_is_refused(anon_client):
    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    token = app_login(anon_client, user.email).json()["meta"]["session_token"]
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = anon_client.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": wrong}, format="json", HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 400
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_a_totp_code_cannot_be_replayed(anon_client):
    from rest_framework.test import APIClient

    user = ClinicianFactory(mfa=False)
    secret = enable_totp(user)
    code = totp_code(secret)
    first_token = app_login(anon_client, user.email).json()["meta"]["session_token"]
    first = anon_client.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": code}, format="json", HTTP_X_SESSION_TOKEN=first_token
    )
    assert first.status_code == 200

    attacker = APIClient()
    second_token = app_login(attacker, user.email).json()["meta"]["session_token"]
    replay = attacker.post(
        "/_allauth/app/v1/auth/2fa/authenticate", {"code": code}, format="json", HTTP_X_SESSION_TOKEN=second_token
    )
    assert replay.status_code == 400
    assert attacker.get("/api/v1/me", HTTP_X_SESSION_TOKEN=second_token).status_code == 401
