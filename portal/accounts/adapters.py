"""allauth adapters: closed signup, client IPs, and TOTP secrets sealed to their row.

allauth's default MFA adapter stores TOTP secrets and recovery seeds in clear;
``encrypt``/``decrypt`` here seal them with AES-256-GCM like every other secret,
bound to the authenticator row that holds them: the associated data names the
row's owner and kind (``mfa:<user id>:<type>``; allauth keeps at most one TOTP and
one set of recovery codes per user, so that pair is the row's identity). A secret
copied into another user's row does not open there.

allauth calls ``encrypt(text)`` and ``decrypt(text)`` without the row, so the row is
attached where the row is known: when an ``Authenticator`` is built or loaded
(``bind_authenticator_secrets``, a ``post_init`` receiver), each sealed value
becomes a ``BoundSecret`` that knows its row; a fresh secret from ``encrypt`` is a
``PendingSecret`` that is sealed at that moment, before anything is saved.
"""

from __future__ import annotations

import base64
import logging
import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django import forms
from django.conf import settings

from portal.audit.services import client_ip_of
from portal.crypto import SealedDataError, open_sealed, seal

logger = logging.getLogger(__name__)

PREFIX = "sealed2:"  # sealed to its row (mfa:<user id>:<type>)
LEGACY_PREFIX = "sealed:"  # before: one fixed context for every row (migrated by accounts 0005)
LEGACY_CONTEXT = "mfa_secret"
MFA_KEYS = ("secret", "seed")  # the sealed values in Authenticator.data (and "migrated_codes", a list)


def authenticator_seal_context(user_id, kind: str) -> str:
    return f"mfa:{user_id}:{kind}"


class PendingSecret(str):
    """What ``encrypt`` returns: the plaintext, waiting for its row. As text it is
    a placeholder, so it can never be stored as it is."""

    def __new__(cls, plaintext: str):
        value = super().__new__(cls, "pending-seal")
        value.plaintext = plaintext
        return value

    def __reduce__(self):
        return (PendingSecret, (self.plaintext,))


class BoundSecret(str):
    """A sealed value (``sealed2:<base64>``) that knows the row it belongs to."""

    def __new__(cls, text: str, context: str = "", authenticator_id: int | None = None):
        value = super().__new__(cls, text)
        value.context = context
        value.authenticator_id = authenticator_id
        return value

    def __reduce__(self):  # copies keep their row
        return (BoundSecret, (str(self), self.context, self.authenticator_id))


def sealed_secret(plaintext: str, *, context: str) -> str:
    """The stored form of an authenticator secret sealed to its row's context (what a
    bulk loader writes for a row it creates without the ORM)."""
    return PREFIX + base64.b64encode(seal(plaintext.encode(), context=context)).decode()


def _bind(value, *, context: str, authenticator_id):
    if isinstance(value, PendingSecret):
        value = sealed_secret(value.plaintext, context=context)
    if isinstance(value, str) and value.startswith(PREFIX):
        return BoundSecret(value, context=context, authenticator_id=authenticator_id)
    return value


def bind_authenticator_secrets(sender, instance, **kwargs) -> None:
    """``post_init`` of allauth's ``Authenticator``: seal pending secrets and bind
    sealed ones to this row (its owner and kind)."""
    if "data" in instance.get_deferred_fields() or not isinstance(instance.data, dict):
        return
    context = authenticator_seal_context(instance.user_id, instance.type)
    data = instance.data
    for key in MFA_KEYS:
        if key in data:
            data[key] = _bind(data[key], context=context, authenticator_id=instance.pk)
    if isinstance(data.get("migrated_codes"), list):
        data["migrated_codes"] = [
            _bind(code, context=context, authenticator_id=instance.pk) for code in data["migrated_codes"]
        ]


class UnreadableAuthenticator(forms.ValidationError):
    """An authenticator's secret does not open for its row (moved from another row,
    or damaged). Raised as a validation error, so allauth's code forms answer "this
    cannot be used" (a 400) rather than fail; the event is logged by row id only."""


# What a person proves in this session by typing it: the password and the authenticator
# app's code (or a recovery code), at sign-in or at a reauthentication.
PROOF_METHODS = {"password", "mfa"}


def signed_in_recently(request) -> bool:
    """Did the person of ``request`` prove who they are in this session (at sign-in,
    at TOTP set-up or at a reauthentication) within allauth's reauthentication window?

    allauth (65.x) counts only its own "confirm it is you" records as recent, so a
    clinician sent from the sign-in page straight to the TOTP set-up page was asked
    for the password they had typed seconds before. allauth writes a record only
    for a step that succeeded, each with its time, so the newest one answers."""
    user = getattr(request, "user", None)
    if request is None or not getattr(user, "is_authenticated", False):
        return False
    times = [
        record.get("at", 0)
        for record in get_authentication_records(request, user)
        if isinstance(record, dict) and record.get("method") in PROOF_METHODS
    ]
    return bool(times) and time.time() - max(times) < account_settings.REAUTHENTICATION_TIMEOUT


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.AFTERCARE_OPEN_SIGNUP

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # A sign-in is a recent authentication: the password (and code) typed a
        # minute ago are not asked for again. Later changes ask as allauth does.
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not signed_in_recently(allauth_context.request)

    def get_client_ip(self, request) -> str:
        # The rate limits' per-IP buckets use the address the audit log records:
        # the trusted proxies' X-Forwarded-For entry, never a client-chosen one.
        return client_ip_of(request) or super().get_client_ip(request)

    # Aftercare keeps no phone numbers, but allauth's headless API routes its phone
    # endpoints whatever the settings (``/_allauth/*/v1/account/phone``): the default
    # adapter raises NotImplementedError there (a 500). No number is on file, and a
    # new one is refused as a field error (400).
    def get_phone(self, user):
        return None

    def get_user_by_phone(self, phone):
        return None

    def clean_phone(self, phone: str) -> str:
        raise forms.ValidationError("Aftercare does not use phone numbers.", code="phone_not_used")


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        # Sealed when the Authenticator row is built around it (bind_authenticator_secrets).
        return PendingSecret(text)

    def decrypt(self, encrypted_text: str) -> str:
        if isinstance(encrypted_text, PendingSecret):
            return encrypted_text.plaintext
        if not isinstance(encrypted_text, BoundSecret):
            # Never stored in clear by this project, and never opened without its row.
            raise ValueError("MFA secret is not sealed to an authenticator row")
        try:
            blob = base64.b64decode(encrypted_text[len(PREFIX) :])
            return open_sealed(blob, context=encrypted_text.context).decode()
        except (SealedDataError, ValueError) as exc:
            logger.error("MFA authenticator %s: its secret does not open for its row", encrypted_text.authenticator_id)
            raise UnreadableAuthenticator(
                "This authenticator cannot be used. Ask your clinic to reset two-factor authentication.",
                code="authenticator_unreadable",
            ) from exc
