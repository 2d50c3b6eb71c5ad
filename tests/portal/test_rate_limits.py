"""allauth's login rate limits, on a real shared cache (Redis, as in production)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings):
    """The default cache on the test Redis, under a key prefix of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"aftercare-test-{uuid.uuid4().hex}",
        }
    }
    yield
    # Keys expire on their own (5 minutes); nothing else shares the prefix.


def web_login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_the_sixth_failed_sign_in_within_5_minutes_is_refused(client, redis_cache, patient):
    from django.core.cache import caches

    assert "Redis" in type(caches["default"]).__name__
    email = patient.user.email
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            response = web_login(client, email, "not-the-password")
            assert response.status_code == 200
            assert b"too many" not in response.content.lower()
            clock.shift(timedelta(seconds=30))
        # The 6th attempt is refused, even with the right password.
        response = web_login(client, email, TEST_PASSWORD)
        assert response.status_code == 200
        assert b"too many failed login attempts" in response.content.lower()
        assert "_auth_user_id" not in client.session
        # Five minutes after the first failures, the account may try again.
        clock.shift(timedelta(minutes=5))
        response = web_login(client, email, TEST_PASSWORD)
        assert response.status_code == 302


def test_failures_for_one_account_do_not_lock_another(client, redis_cache, patient, other_patient):
    for _ in range(6):
        web_login(client, patient.user.email, "not-the-password")
    assert web_login(client, other_patient.user.email, TEST_PASSWORD).status_code == 302


def test_app_sign_in_is_rate_limited_too(anon_client, redis_cache, patient):
    url = "/_allauth/app/v1/auth/login"
    for _ in range(5):
        response = anon_client.post(url, {"email": patient.user.email, "password": "nope-nope-nope"}, format="json")
        assert response.status_code == 400
    response = anon_client.post(url, {"email": patient.user.email, "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 400
    assert "too many" in str(response.json()).lower()


def test_rate_limits_are_configured(settings):
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"].endswith("5/5m/key")
    from allauth.account import app_settings

    assert app_settings.RATE_LIMITS["login_failed"] == settings.ACCOUNT_RATE_LIMITS["login_failed"]
