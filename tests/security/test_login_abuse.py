"""Login abuse: the 6th failed sign-in for one account within 5 minutes is refused,
whichever door is used: the web sign-in page, the app (headless) API, the browser
headless API, and the Django admin, whose sign-in is the web page (admin.site.login
redirects there). The count is per account across all doors, on the shared cache
(Redis, as in production).

The foundation's tests/portal/test_rate_limits.py proves the web and app doors one
by one; this file adds the admin door, the browser API door and the shared count.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, AdminFactory, totp_code

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-at-all"


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"aftercare-security-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff():
    return AdminFactory(email="staff.member@example.test")


def admin_door(client, email, password):
    """The admin's sign-in: /admin/ sends to /admin/login/, which sends to the web sign-in."""
    first = client.get("/admin/")
    assert first.status_code == 302 and first["Location"].startswith("/admin/login/")
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"].startswith("/accounts/login/")
    return client.post(second["Location"], {"login": email, "password": password})


def web_door(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def app_door(client, email, password):
    return client.post("/_allauth/app/v1/auth/login", {"email": email, "password": password}, format="json")


def browser_door(client, email, password):
    return client.post("/_allauth/browser/v1/auth/login", {"email": email, "password": password}, format="json")


def refused(response) -> bool:
    """allauth's answer to a rate-limited sign-in: the page's error, or the API's 400/429."""
    if response.status_code == 429:
        return True
    text = response.content.decode().lower()
    return "too many failed login attempts" in text or "too many" in text


DOORS = {"web": web_door, "admin": admin_door, "app": app_door, "browser": browser_door}
# The right password once the count has expired: the pages send on to the TOTP step,
# the app and browser APIs answer 401 with that step pending.
SIGNED_IN_UP_TO_TOTP = {"web": 302, "admin": 302, "app": 401, "browser": 401}


@pytest.mark.parametrize("door", sorted(DOORS))
def test_the_sixth_failed_sign_in_within_five_minutes_is_refused(redis_cache, clock, staff, door):
    attempt = DOORS[door]
    client = APIClient()
    for number in range(5):
        response = attempt(client, staff.email, WRONG)
        assert not refused(response), f"{door}: attempt {number + 1} was rate limited already"
        clock.shift(timedelta(seconds=30))
    # The 6th is refused, the right password included, and nobody is signed in.
    response = attempt(client, staff.email, TEST_PASSWORD)
    assert refused(response), f"{door}: the 6th attempt was not refused ({response.status_code})"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    # Five minutes after the first failures the account may try again.
    clock.shift(timedelta(minutes=5))
    response = attempt(APIClient(), staff.email, TEST_PASSWORD)
    assert not refused(response)
    assert response.status_code == SIGNED_IN_UP_TO_TOTP[door]
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/2fa/authenticate/")
    else:
        assert [flow["id"] for flow in response.json()["data"]["flows"] if flow.get("is_pending")] == [
            "mfa_authenticate"
        ]


def test_failures_count_per_account_across_every_door(redis_cache, clock, staff):
    """Two failures on the web page, two in the app, one in the browser API: the 6th
    try, through the admin's door, is refused."""
    for attempt in (web_door, web_door, app_door, app_door, browser_door):
        assert not refused(attempt(APIClient(), staff.email, WRONG))
        clock.shift(timedelta(seconds=20))
    assert refused(admin_door(APIClient(), staff.email, TEST_PASSWORD))


def test_posting_to_the_admin_sign_in_checks_no_password(staff):
    """The admin's own login form is gone: a POST to it is redirected to the web
    sign-in (rate-limited, MFA) and signs nobody in, whatever the password."""
    client = APIClient()
    response = client.post("/admin/login/", {"username": staff.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


# --- The TOTP step: failures count per account, never per address -----------------------------


def password_step(email: str) -> APIClient:
    client = APIClient()
    response = client.post("/accounts/login/", {"login": email, "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    return client


def test_wrong_totp_codes_of_colleagues_behind_one_address_do_not_lock_another_out(redis_cache, clock):
    """A hospital's clinicians share one public address. Before: 20 wrong codes in a
    minute from that address (colleagues' typos, or one attacker's guesses) refused
    every clinician's TOTP step there, whoever they were."""
    from tests.factories import ClinicianFactory, enable_totp

    me = ClinicianFactory(email="me@example.test", mfa=False)
    secret = enable_totp(me)
    mine = password_step(me.email)  # my password is in; my phone is in my pocket
    colleagues = [password_step(ClinicianFactory(email=f"colleague{n}@example.test").email) for n in range(5)]
    for client in colleagues:
        for _ in range(4):  # 4 wrong codes each: under each account's own limit
            assert not refused(client.post("/accounts/2fa/authenticate/", {"code": "000000"}))
    response = mine.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.content[:300]


def test_the_sixth_wrong_totp_code_for_one_account_is_refused(redis_cache, clock):
    from tests.factories import ClinicianFactory, enable_totp

    user = ClinicianFactory(email="typo@example.test", mfa=False)
    secret = enable_totp(user)
    client = password_step(user.email)
    for _ in range(5):
        assert not refused(client.post("/accounts/2fa/authenticate/", {"code": "000000"}))
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert refused(response)
