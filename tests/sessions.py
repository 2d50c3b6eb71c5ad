"""Signed-in test sessions, as a real sign-in leaves them.

``force_login`` makes a session that used no authentication method at all: for a
clinician or admin with TOTP that is an "old password-only session", which the
portal refuses (portal.accounts.mfa). ``sign_in`` adds what allauth records when
the TOTP step is passed, so a persona with TOTP gets the session a person gets
after typing their code.
"""

from __future__ import annotations

from types import SimpleNamespace

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator


def record_mfa_step(session, user, *, seconds_ago: float = 0) -> None:
    """Record in ``session`` that ``user`` passed the TOTP step (as allauth does
    after a valid code at sign-in), ``seconds_ago``; no-op for a user without TOTP."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return
    holder = SimpleNamespace(session=session)
    record_authentication(holder, user, "password", email=user.email)
    record_authentication(holder, user, "mfa", id=authenticator.pk, type=authenticator.type)
    if seconds_ago:
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {**record, "at": record["at"] - seconds_ago} for record in session[AUTHENTICATION_METHODS_SESSION_KEY]
        ]
    session.save()


def sign_in(client, user, *, seconds_ago: float = 0) -> None:
    """``client.force_login(user)``, then the TOTP step if the user has TOTP.

    A sign-in counts as a recent authentication for allauth's reauthentication
    window (portal.accounts.adapters.signed_in_recently): ``seconds_ago`` past that
    window gives a session whose account changes ask for the password again."""
    user.refresh_from_db(fields=["session_generation"])  # as a real sign-in reads it
    client.force_login(user)
    session = client.session
    record_mfa_step(session, user, seconds_ago=seconds_ago)


def password_only_sign_in(client, user) -> None:
    """A session that signed in with the password alone (before TOTP was set up,
    or from before this check existed): what the portal must not trust."""
    user.refresh_from_db(fields=["session_generation"])
    client.force_login(user)
