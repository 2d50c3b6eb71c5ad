"""Sessions end after 30 minutes idle (15 for patients) and 12 hours in all, for
browser sessions and app session tokens alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import TEST_PASSWORD
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    ("persona", "still_fresh", "expired"),
    [
        ("patient", timedelta(minutes=14), timedelta(minutes=16)),
        ("clinician", timedelta(minutes=29), timedelta(minutes=31)),
    ],
)
def test_browser_session_idle_timeout(client, clock, request, persona, still_fresh, expired):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    sign_in(client, user)
    assert client.get("/settings/").status_code == 200
    clock.shift(still_fresh)
    assert client.get("/settings/").status_code == 200
    clock.shift(expired)
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Signed out for good, not just redirected once.
    assert client.get("/settings/").status_code == 302


def test_browser_session_absolute_limit(client, clock, clinician):
    sign_in(client, clinician)
    # Active every 20 minutes: never idle, but 12 hours is the end.
    for _ in range(35):  # 11 h 40 min
        clock.shift(timedelta(minutes=20))
        assert client.get("/settings/").status_code == 200
    clock.shift(timedelta(minutes=21))
    assert client.get("/settings/").status_code == 302


def test_expired_browser_session_on_the_api_is_401(client, clock, patient):
    sign_in(client, patient.user)
    assert client.get("/api/v1/me").status_code == 200
    clock.shift(timedelta(minutes=16))
    assert client.get("/api/v1/me").status_code == 401


def app_token(client, user) -> str:
    response = client.post(
        "/_allauth/app/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()["meta"]["session_token"]


def test_app_token_idle_timeout_for_a_patient(anon_client, clock, patient):
    token = app_token(anon_client, patient.user)
    clock.shift(timedelta(minutes=14))
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    clock.shift(timedelta(minutes=14))
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    clock.shift(timedelta(minutes=16))
    response = anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401
    # The token is spent: it does not come back after more requests.
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_app_token_idle_timeout_for_a_clinician(anon_client, clock, clinician_without_mfa):
    token = app_token(anon_client, clinician_without_mfa)
    clock.shift(timedelta(minutes=29))
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    clock.shift(timedelta(minutes=31))
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_app_token_ends_12_hours_after_sign_in_even_when_active(anon_client, clock, patient):
    token = app_token(anon_client, patient.user)
    for _ in range(59):  # 11 h 48 min
        clock.shift(timedelta(minutes=12))
        assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200
    clock.shift(timedelta(minutes=13))
    assert anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 401


def test_pages_say_how_long_the_session_has_left_and_stay_signed_in_gives_it_back(client, clock, patient):
    """Issue 17: the warning two minutes before the time-out counts down from the page's
    ``data-session-seconds-left``; "Stay signed in" is an authenticated POST."""
    sign_in(client, patient.user)
    assert 'data-session-seconds-left="900"' in client.get("/").content.decode()
    clock.shift(timedelta(minutes=13))
    answer = client.post("/accounts/session/keep-alive/")
    assert answer.status_code == 200 and answer.json() == {"signed_in": True, "seconds_left": 900}
    clock.shift(timedelta(minutes=14))
    assert client.get("/settings/").status_code == 200  # 14 minutes after "Stay signed in": still in


def test_stay_signed_in_after_the_time_out_is_refused_not_a_sign_in_page(client, clock, patient):
    sign_in(client, patient.user)
    client.get("/")
    clock.shift(timedelta(minutes=16))
    answer = client.post("/accounts/session/keep-alive/")
    assert answer.status_code == 401 and answer.json() == {"signed_in": False}
    assert client.get("/settings/").status_code == 302
