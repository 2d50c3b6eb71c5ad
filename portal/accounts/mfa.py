"""Per-session MFA: a session (browser cookie or app token) of a clinician or admin
reaches health data only if that session itself passed the TOTP step.

allauth keeps a log of the authentication methods each session used
(``allauth.account.authentication.get_authentication_records``): the password at
sign-in, ``{"method": "mfa", "type": "totp", "id": <authenticator>}`` after the
code. A session that signed in with the password only before TOTP was set up (or
was reset) carries no such record, so it stays outside health data however the
account changes meanwhile. The record must name one of the user's current
authenticators: after a reset, a record of the deleted one counts for nothing.

Setting up or resetting TOTP ends the user's other sessions too
(``end_other_sessions``): ``User.session_generation`` is part of the hash Django
checks on every request of every session (browser and app token alike), so
bumping it signs out every session but the one that is kept.
"""

from __future__ import annotations

import enum
from types import SimpleNamespace

from allauth.account.authentication import get_authentication_records

# allauth's own writer of these records (the pinned 65.21.1 keeps it internal);
# tests/portal/test_mfa_sessions.py fails if it stops recording what this module reads.
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from django.contrib.auth import HASH_SESSION_KEY
from django.db import transaction
from django.db.models import F

from portal.accounts.models import Role, User

ROLES_NEEDING_MFA = {Role.CLINICIAN, Role.ADMIN}
# What passes the TOTP step at sign-in: the authenticator app's code, or one of
# the recovery codes allauth offers on the same page.
SECOND_FACTORS = {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


class MFAStatus(enum.Enum):
    NOT_REQUIRED = "not_required"  # a patient: MFA is optional
    SET_UP_NEEDED = "set_up_needed"  # clinician or admin without TOTP
    STEP_NEEDED = "step_needed"  # TOTP is set up, but this session did not pass it
    PASSED = "passed"


def requires_mfa(user) -> bool:
    # Staff reach the admin site whatever their role says: they need MFA too.
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "role", None) in ROLES_NEEDING_MFA or getattr(user, "is_staff", False))
    )


def _authenticators(user) -> list[tuple[int, str]]:
    """(id, type) of the user's authenticators; one query, kept on the user object
    for the rest of the request."""
    cached = getattr(user, "_aftercare_authenticators", None)
    if cached is None:
        cached = list(Authenticator.objects.filter(user_id=user.pk).values_list("pk", "type"))
        user._aftercare_authenticators = cached
    return cached


def has_totp(user) -> bool:
    return any(kind == Authenticator.Type.TOTP for _, kind in _authenticators(user))


def session_passed_mfa(session, user) -> bool:
    """Did this session pass the TOTP step (a code or a recovery code) with one of
    the user's current authenticators?"""
    if session is None:
        return False
    # allauth's reader takes a request; only its session is read.
    records = get_authentication_records(SimpleNamespace(session=session), user)
    used = {
        record.get("id")
        for record in records
        if isinstance(record, dict) and record.get("method") == "mfa" and record.get("type") in SECOND_FACTORS
    }
    return any(pk in used for pk, _ in _authenticators(user))


def mfa_status(user, session) -> MFAStatus:
    if not requires_mfa(user):
        return MFAStatus.NOT_REQUIRED
    if not has_totp(user):
        return MFAStatus.SET_UP_NEEDED
    if not session_passed_mfa(session, user):
        return MFAStatus.STEP_NEEDED
    return MFAStatus.PASSED


def forget_authenticators(user) -> None:
    """Drop the per-request cache after the user's authenticators changed."""
    if user is not None and hasattr(user, "_aftercare_authenticators"):
        del user._aftercare_authenticators


@transaction.atomic
def end_other_sessions(*, user, keep=None) -> None:
    """Sign out every session of ``user`` (browser sessions and app tokens) but
    ``keep``, the session of the request that made the change.

    The sessions are not enumerated: each carries the hash Django checks on every
    request, and the hash covers ``session_generation``; the next request of any
    other session finds it stale and ends it (its row is deleted then).
    """
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    if keep is not None:
        keep[HASH_SESSION_KEY] = user.get_session_auth_hash()


def _own_request_user(user_id: int):
    """The request under way when its signed-in user is ``user_id`` (the user set up
    or removed TOTP themselves): its user and session. (None, None) for anyone
    else's request (an admin's reset) or outside a request."""
    request = allauth_context.request
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False) or user.pk != user_id:
        return None, None
    forget_authenticators(user)
    return user, request.session


def _authenticator_changed(instance):
    """End the user's other sessions; returns the session of the user's own request
    that is kept, if any."""
    own_user, own_session = _own_request_user(instance.user_id)
    # ``instance.user`` is the caller's user object when allauth (or a factory) built
    # the row from it: refreshing that object keeps it in step with the database.
    end_other_sessions(user=instance.user, keep=own_session)
    if own_user is not None and own_user is not instance.user:
        own_user.session_generation = instance.user.session_generation
    return own_session


def on_authenticator_saved(sender, instance, created: bool, **kwargs) -> None:
    """A TOTP authenticator appeared: every other session of the user ends.

    When the user set it up themselves, the session that did so has passed the
    TOTP step: allauth creates a TOTP authenticator for the signed-in user only
    after checking a code from the app against the new secret (its set-up page and
    its headless endpoint alike), and no other path creates one for the user of
    the request (the invitation flow has no signed-in user; the admin's
    authenticator pages are read-only).
    """
    if created and instance.type == Authenticator.Type.TOTP:
        own_session = _authenticator_changed(instance)
        if own_session is not None:
            holder = SimpleNamespace(session=own_session)
            record_authentication(holder, instance.user, "mfa", id=instance.pk, type=instance.type)


def on_authenticator_deleted(sender, instance, **kwargs) -> None:
    """A TOTP authenticator went (an admin's reset, or the user turned it off)."""
    if instance.type == Authenticator.Type.TOTP:
        _authenticator_changed(instance)
