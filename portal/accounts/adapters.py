"""allauth adapters: closed signup, and TOTP secrets sealed with the key ring.

allauth's default MFA adapter stores TOTP secrets and recovery seeds in clear;
``encrypt``/``decrypt`` here seal them with AES-256-GCM like every other secret.
"""

from __future__ import annotations

import base64

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django import forms
from django.conf import settings

from portal.crypto import open_sealed, seal

MFA_CONTEXT = "mfa_secret"
PREFIX = "sealed:"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.AFTERCARE_OPEN_SIGNUP

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
        blob = seal(text.encode(), context=MFA_CONTEXT)
        return PREFIX + base64.b64encode(blob).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(PREFIX):
            # Never stored in clear by this project; refuse rather than guess.
            raise ValueError("MFA secret is not sealed")
        blob = base64.b64decode(encrypted_text[len(PREFIX) :])
        return open_sealed(blob, context=MFA_CONTEXT).decode()
