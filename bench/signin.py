"""Session tokens for the benchmarks' users.

A few accounts sign in for real through allauth's app API (password, then TOTP for
clinicians), as the mobile app does; that proves the path and keeps allauth's
sign-in rate limit (30 a minute per address) out of the way. The rest get a session
created the way a sign-in creates it (``django.contrib.auth.login`` on a fresh
session), whose key is the ``X-Session-Token`` (and the ``sessionid`` cookie).
"""

from __future__ import annotations

import json
import time

from bench.common import BENCH_PASSWORD, BENCH_TOTP_SECRET
from bench.loadgen import Client, Request


def totp_code() -> str:
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(BENCH_TOTP_SECRET, int(time.time()) // app_settings.TOTP_PERIOD))


async def app_login(client: Client, email: str, *, totp: bool = False) -> str:
    """``POST /_allauth/app/v1/auth/login`` (then ``2fa/authenticate``); the session token."""
    body = json.dumps({"email": email, "password": BENCH_PASSWORD}).encode()
    result = await client.send(Request("login", "POST", "/_allauth/app/v1/auth/login", body=body))
    expected = 401 if totp else 200  # 401 with the pending mfa_authenticate flow
    if result.status != expected:
        raise RuntimeError(f"sign-in of {email} answered {result.status} {result.error} {result.body[:200]!r}")
    token = result.json()["meta"]["session_token"]
    if totp:
        body = json.dumps({"code": totp_code()}).encode()
        result = await client.send(
            Request(
                "2fa", "POST", "/_allauth/app/v1/auth/2fa/authenticate", headers={"X-Session-Token": token}, body=body
            )
        )
        if result.status != 200:
            raise RuntimeError(f"TOTP of {email} answered {result.status} {result.body[:200]!r}")
        token = result.json()["meta"]["session_token"]
    return token


def session_for(user) -> str:
    """A signed-in session for ``user`` (what a successful sign-in stores)."""
    from importlib import import_module

    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import login
    from django.http import HttpRequest

    request = HttpRequest()
    request.META = {"REMOTE_ADDR": "127.0.0.1"}
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # What the sign-in records when the user passed the TOTP step: MFA is checked per
    # session, so a clinician's session without these records is sent to sign in.
    for authenticator in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
        record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk)
    request.session.save()
    return request.session.session_key
