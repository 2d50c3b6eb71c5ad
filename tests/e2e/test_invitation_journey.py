"""An invited nurse's first minutes in a real browser, at phone and desktop size: the
emailed link, a password and the authenticator app set up on the same page (no
session of theirs exists before TOTP does), then the sign-in with both."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from portal.accounts.services import invite_user
from tests.e2e.helpers import invitation_path, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Night-shift-on-ward-7"


def test_an_invited_nurse_sets_up_the_password_and_the_authenticator_then_signs_in(open_browser, mailoutbox):
    invite_user(email="noor@clinic.test", first_name="Noor", last_name="Haddad", role="clinician", specialty="nursing")
    noor = open_browser("invited")
    page = noor.page

    noor.go(invitation_path(mailoutbox, "noor@clinic.test"))
    expect(page.get_by_role("heading", name="Welcome to Aftercare")).to_be_visible()
    expect(page.get_by_role("heading", name="1. Choose a password")).to_be_visible()
    expect(page.get_by_role("heading", name="2. Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code for your authenticator app"))).to_be_visible()
    expect(page.get_by_role("link", name="Add Aftercare to the app")).to_have_attribute(
        "href", re.compile(r"^otpauth://totp/")
    )
    noor.check("invitation-with-totp")

    # Forgetting the code: the page says so next to the field and keeps the same key.
    secret = page.get_by_label("Or type this key into the app").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Set password and authenticator").click()
    expect(page.get_by_text("Type the 6-digit code your authenticator app shows for Aftercare.")).to_be_visible()
    expect(page.get_by_text("For your safety the password fields were emptied")).to_be_visible()
    assert page.get_by_label("Or type this key into the app").input_value() == secret
    noor.check("invitation-missing-code")

    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Set password and authenticator").click()
    expect(
        page.get_by_text("Your password and authenticator app are set. Sign in with both to continue.")
    ).to_be_visible()

    # A little later (a code is good once), the sign-in asks for both.
    with time_machine.travel(timezone.now() + timedelta(seconds=40)):
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        code = page.get_by_label(re.compile("code", re.IGNORECASE))
        expect(code).to_be_visible()
        code.fill(totp_code(secret))
        page.get_by_role("button", name=re.compile("sign in|confirm|verify", re.IGNORECASE)).click()
        expect(page.get_by_role("heading", name="Hello, Noor")).to_be_visible()
        noor.check("dashboard")
