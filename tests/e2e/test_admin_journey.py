"""The admin's journey in a real browser: accounts and alert rules in Django admin,
at phone and desktop size. Django admin's own pages are axe-checked and reported,
not enforced (the project does not template them)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from alerts.models import AlertRule
from tests.e2e.helpers import sign_in
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_admin_journey(open_browser, mailoutbox):
    admin_user = AdminFactory(email="admin@clinic.test", first_name="Sam", mfa=False)
    secret = enable_totp(admin_user)
    lost_phone = ClinicianFactory(email="lost.phone@clinic.test", first_name="Kim", last_name="Park")
    leaver = PatientFactory(user__email="moved.away@example.test", user__first_name="Lou", user__last_name="Grant")
    sam = open_browser("admin")
    page = sam.page

    sign_in(page, "admin@clinic.test", totp_secret=secret)
    sam.check("dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    sam.check("admin-index", enforce=False)

    # Invite a clinician.
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name="Invite a clinician").click()
    sam.check("admin-invite", enforce=False)
    page.get_by_label("Email").fill("new.nurse@clinic.test")
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Specialty").select_option(label="Nursing")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to new.nurse@clinic.test.")).to_be_visible()
    assert any("new.nurse@clinic.test" in message.to for message in mailoutbox)
    expect(page.get_by_role("row", name=re.compile("new.nurse@clinic.test"))).to_contain_text("Nursing")

    # Deactivate a user.
    page.get_by_role("row", name=re.compile("moved.away@example.test")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Deactivate selected users")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Deactivate these accounts?")).to_be_visible()
    expect(page.get_by_text("They cannot sign in any more")).to_be_visible()
    page.get_by_role("button", name="Yes, deactivate").click()
    expect(page.get_by_text("1 user(s) deactivated.")).to_be_visible()
    leaver.user.refresh_from_db()
    assert not leaver.user.is_active
    expect(
        page.get_by_role("row", name=re.compile("moved.away@example.test")).locator("td.field-is_active img")
    ).to_have_attribute("alt", "False")

    # Reset a clinician's two-factor authentication (lost phone).
    page.get_by_role("row", name=re.compile("lost.phone@clinic.test")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Reset two-factor authentication (user must enrol again)")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Reset two-factor authentication?")).to_be_visible()
    page.get_by_role("button", name="Yes, reset two-factor authentication").click()
    expect(page.get_by_text("Two-factor authentication reset for 1 user(s).")).to_be_visible()
    assert not Authenticator.objects.filter(user=lost_phone).exists()
    sam.check("admin-users", enforce=False)

    # Edit a rule threshold: the fever line.
    page.goto("/admin/")
    page.get_by_role("link", name=re.compile("Alert rules")).click()
    page.get_by_role("link", name="fever", exact=True).click()
    # One field per threshold, with its unit and bounds; the rule's words follow the values.
    temperature = page.get_by_role("spinbutton", name="Fever from (°C):")
    assert temperature.input_value() == "38.0"
    expect(page.get_by_text("Between 37.0 and 40.0 °C.")).to_be_visible()
    sam.check("admin-rule", enforce=False)
    temperature.fill("45")  # a typo: refused, nothing saved
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Please correct the error below.")).to_be_visible()
    assert AlertRule.objects.get(code="fever").thresholds["temperature_c"] == 38.0
    page.get_by_role("spinbutton", name="Fever from (°C):").fill("38.3")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was changed successfully"))).to_be_visible()
    fever = AlertRule.objects.get(code="fever")
    assert Decimal(str(fever.thresholds["temperature_c"])) == Decimal("38.3")
    assert fever.description.startswith("Temperature at or above 38.3 °C (100.94 °F)")
