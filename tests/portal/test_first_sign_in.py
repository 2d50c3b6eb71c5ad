"""First sign-in: no second password prompt straight after the password was typed,
and the recovery-codes page leads on (issue 16, point 6).

allauth asks "confirm it is you" before any change to how one signs in (TOTP set-up,
recovery codes). The sign-in itself is that confirmation for allauth's
reauthentication window; after it, the question comes back as allauth asks it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account import app_settings as account_settings
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import TEST_PASSWORD, ClinicianFactory, PatientFactory, enable_totp, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TOTP_SETUP = "/accounts/2fa/totp/activate/"
RECOVERY_CODES = "/accounts/2fa/recovery-codes/"
REAUTHENTICATE = "/accounts/reauthenticate/"


def signed_in(email: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def test_a_new_clinician_goes_from_sign_in_straight_to_the_totp_set_up_without_a_password_prompt():
    clinician = ClinicianFactory(email="first.day@example.test", mfa=False)
    client = signed_in(clinician.email)
    # The portal sends a clinician without TOTP to the set-up page...
    assert client.get("/")["Location"] == TOTP_SETUP
    # ...which opens at once, not on "confirm it is you".
    page = client.get(TOTP_SETUP)
    assert page.status_code == 200
    assert "Authenticator secret" in page.content.decode()


def test_a_patient_who_just_signed_in_opens_the_totp_set_up_at_once():
    patient = PatientFactory(user__email="new.patient@example.test")
    client = signed_in(patient.user.email)
    assert client.get(TOTP_SETUP).status_code == 200


def test_setting_up_totp_leads_to_the_recovery_codes_and_on_to_the_portal(frozen_clock):
    clinician = ClinicianFactory(email="first.day@example.test", mfa=False)
    client = signed_in(clinician.email)
    setup = client.get(TOTP_SETUP)
    secret = setup.context["form"].secret
    frozen_clock.shift(timedelta(seconds=60))
    response = client.post(TOTP_SETUP, {"code": totp_code(secret)})
    assert response["Location"] == RECOVERY_CODES
    page = client.get(RECOVERY_CODES)
    assert page.status_code == 200  # no second prompt here either
    html = page.content.decode()
    codes = Authenticator.objects.get(user=clinician, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert codes.get_unused_codes()[0] in html
    assert '<a href="/" class="button primary"' in html
    assert "Continue to Aftercare" in html
    assert client.get("/").status_code == 200  # the way on works: MFA passed in this session


def test_the_prompt_returns_once_the_sign_in_is_no_longer_recent(frozen_clock):
    patient = PatientFactory(user__email="new.patient@example.test")
    client = signed_in(patient.user.email)
    frozen_clock.shift(timedelta(seconds=account_settings.REAUTHENTICATION_TIMEOUT + 1))
    response = client.get(TOTP_SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(REAUTHENTICATE)


def test_signing_in_with_password_and_code_counts_as_recent_for_the_recovery_codes(frozen_clock):
    clinician = ClinicianFactory(email="returning@example.test", mfa=False)
    secret = enable_totp(clinician)
    client = Client()
    response = client.post("/accounts/login/", {"login": clinician.email, "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    frozen_clock.shift(timedelta(seconds=31))  # the next code
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert client.get("/accounts/2fa/recovery-codes/generate/").status_code == 200


def test_a_sign_in_only_half_done_is_no_authentication(frozen_clock):
    """The password alone, with the code still to type, opens nothing."""
    clinician = ClinicianFactory(email="returning@example.test", mfa=False)
    enable_totp(clinician)
    client = Client()
    client.post("/accounts/login/", {"login": clinician.email, "password": TEST_PASSWORD})
    response = client.get("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
