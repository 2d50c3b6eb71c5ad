"""The web shell: navigation per role, allauth pages inside the portal's layout,
account settings, and no asset from outside the project."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import User

pytestmark = pytest.mark.django_db


def local_assets_only(html: str) -> None:
    for url in re.findall(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']""", html):
        local = (url.startswith("/") and not url.startswith("//")) or url.startswith("data:image/")
        assert local, f"asset not served by the project: {url}"
    # No inline script: a strict Content-Security-Policy is coming. JSON data blocks are fine.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_sign_in_page(client):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sign in to Aftercare" in html
    assert 'name="login"' in html and 'name="password"' in html
    assert "/accounts/signup/" not in html  # sign-up is closed: no link to it
    assert 'name="remember"' not in html  # sessions end with the browser
    assert "/accounts/password/reset/" in html
    assert 'name="viewport"' in html
    local_assets_only(html)


def test_signup_page_says_it_is_closed(client):
    response = client.get("/accounts/signup/")
    assert b"Sign-up is closed" in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/settings/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/email/",
    ],
)
def test_pages_for_a_patient_use_the_portal_layout(client_for, patient, path):
    response = client_for(patient.user).get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "aftercare.css" in html
    assert "Sign out" in html
    local_assets_only(html)


def test_totp_set_up_page(client, clinician_without_mfa):
    from tests.factories import TEST_PASSWORD

    client.post("/accounts/login/", {"login": clinician_without_mfa.email, "password": TEST_PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html or "data:image" in html  # the QR code, drawn on the server
    assert re.search(
        r'<input[^>]*name="code"[^>]*autocomplete="one-time-code"|<input[^>]*autocomplete="one-time-code"[^>]*name="code"',
        html,
    )
    assert re.search(r'<label for="id_code">', html)
    assert "Set up two-factor authentication to reach patient data" in html
    local_assets_only(html)


def test_navigation_per_role(client_for, patient, clinician, admin, clinician_without_mfa):
    def nav(user):
        return client_for(user).get("/settings/").context["nav_items"]

    patient_nav = [item["label"] for item in nav(patient.user)]
    clinician_nav = [item["label"] for item in nav(clinician)]
    admin_nav = [item["label"] for item in nav(admin)]
    assert patient_nav[0] == "Home" and clinician_nav[0] == "Home"
    assert "Admin" in admin_nav
    assert "Admin" not in patient_nav and "Admin" not in clinician_nav
    # Before MFA a clinician is offered nothing that would bounce to the set-up page.
    assert nav(clinician_without_mfa) == []


def test_current_page_is_marked(client_for, patient):
    html = client_for(patient.user).get("/").content.decode()
    assert re.search(r'<a href="/"\s+aria-current="page"', html)


def test_dashboard_says_placeholders_are_placeholders(client_for, admin):
    response = client_for(admin).get("/")
    assert response.status_code == 200
    assert b"Hello" in response.content


def test_account_settings_saves_units_and_time_zone(client_for, patient):
    client = client_for(patient.user)
    response = client.post("/settings/", {"display_units": "F", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    user = User.objects.get(pk=patient.user.pk)
    assert (user.display_units, user.time_zone) == ("F", "Europe/Paris")
    assert b"Settings saved" in client.get("/settings/").content


def test_account_settings_refuses_unknown_values(client_for, patient):
    response = client_for(patient.user).post("/settings/", {"display_units": "K", "time_zone": "Nowhere/Land"})
    assert response.status_code == 200
    assert response.content.count(b'role="alert"') >= 2
    user = User.objects.get(pk=patient.user.pk)
    assert user.display_units == "C"


def test_password_change(client_for, patient):
    from tests.factories import TEST_PASSWORD

    client = client_for(patient.user)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": TEST_PASSWORD,
            "password1": "a-new-long-passphrase-99",
            "password2": "a-new-long-passphrase-99",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=patient.user.pk).check_password("a-new-long-passphrase-99")


def test_not_found_page_uses_the_layout(client_for, patient):
    response = client_for(patient.user).get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_static_assets_exist():
    from django.contrib.staticfiles import finders

    for asset in ["portal/aftercare.css", "portal/aftercare.js", "portal/favicon.svg", "django_htmx/htmx-2.min.js"]:
        assert finders.find(asset), asset
