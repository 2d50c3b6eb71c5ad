"""Account writes: invitations and their acceptance, settings, MFA reset.

A clinician or admin accepts an invitation by choosing a password and setting up
TOTP in the same step: the invitation carries the TOTP secret (sealed) from the
moment it is issued, and the account gets its authenticator before any session
of it can exist. Patients choose a password only (TOTP is optional for them).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.accounts.mfa import has_totp, requires_mfa
from portal.accounts.models import DisplayUnits, Invitation, Role, User
from portal.audit.services import record_audit
from portal.crypto import open_sealed_text, seal_text
from portal.validation import NOT_NULL, NOT_SENT, FieldErrors, text

INVITATION_LIFETIME = timedelta(days=7)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return f"{settings.AFTERCARE_SITE_URL}{reverse('invitation_accept', args=[token])}"


@transaction.atomic
def invite_user(
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    specialty: str = "",
    is_triage: bool = False,
    is_quality: bool = False,
    invited_by: User | None = None,
) -> tuple[User, str]:
    """Create an account without a usable password and email it a one-time link.

    Returns the user and the raw token (only the email carries it; the database
    keeps its hash). The email is sent after commit, so a rolled-back enrolment
    never invites anyone.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email address already exists."]})
    if role == Role.CLINICIAN and not specialty:
        raise ValidationError({"specialty": ["A clinician needs a specialty."]})
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        specialty=specialty if role == Role.CLINICIAN else "",
        is_triage=is_triage,
        is_quality=is_quality,
        # Admins run the clinic in Django admin; its pages never decrypt health data.
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    token = reissue_invitation(user=user, invited_by=invited_by)
    return user, token


@transaction.atomic
def reissue_invitation(*, user: User, invited_by: User | None = None) -> str:
    """A fresh one-time link; earlier unused links for the user stop working."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        token_hash=_hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    if requires_mfa(user) and not has_totp(user):
        # The context names the row, so the row exists before its secret is sealed.
        invitation.totp_secret_sealed = seal_text(generate_totp_secret(), context=invitation.totp_seal_context)
        invitation.save(update_fields=["totp_secret_sealed"])
    link = invitation_link(token)
    context = {"user": user, "link": link, "days": INVITATION_LIFETIME.days}
    subject = "You are invited to Aftercare"
    body = render_to_string("accounts/email/invitation.txt", context)
    # The email carries the link only: no name (being a patient of this clinic is
    # itself health data, and an inbox is read by more than its owner).
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    return token


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation for a token, or None (unknown, used, expired or revoked alike)."""
    if not token or len(token) > 200:
        return None
    invitation = Invitation.objects.select_related("user").filter(token_hash=_hash_token(token)).first()
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        return None
    return invitation


def invitation_totp_secret(invitation: Invitation) -> str | None:
    """The TOTP secret to set up while accepting, or None when the invitation sets
    up none (a patient's, or an account that has TOTP already)."""
    if not invitation.totp_secret_sealed or has_totp(invitation.user):
        return None
    return open_sealed_text(bytes(invitation.totp_secret_sealed), context=invitation.totp_seal_context)


def invitation_totp_setup(invitation: Invitation) -> dict[str, str] | None:
    """What an authenticator app needs to be set up while accepting: the secret and
    its ``otpauth://`` address (a QR code of it, or the secret typed in by hand)."""
    secret = invitation_totp_secret(invitation)
    if secret is None:
        return None
    return {"secret": secret, "otpauth_url": get_mfa_adapter().build_totp_url(invitation.user, secret)}


INVALID_LINK_MESSAGE = "This invitation link is invalid, expired or already used."


def _invitation_token(token: object) -> str:
    return text(token, field="token", max_length=200, required=True)


def invitation_totp_setup_for_token(token: object) -> dict[str, str]:
    """The TOTP set-up of the invitation a token names (``invitation_totp_setup``);
    a ValidationError naming ``token`` when it names none or one that sets up no app."""
    invitation = invitation_for_token(_invitation_token(token))
    if invitation is None:
        raise ValidationError({"token": [INVALID_LINK_MESSAGE]})
    setup = invitation_totp_setup(invitation)
    if setup is None:
        raise ValidationError({"token": ["This invitation sets up no authenticator app: accept it with a password."]})
    return setup


@transaction.atomic
def accept_invitation(*, token: object, password: object, totp_code: object = None) -> User:
    """Set the password, set up TOTP when the invitation carries a secret (a
    clinician's or admin's), and prove the email address; the token is spent.

    Raises ValidationError naming ``token``, ``password`` or ``totp_code`` (every
    problem at once); nothing is saved unless all is well.
    """
    sent = FieldErrors()
    checked: dict[str, str] = {}
    for field, value, limit, strip in (
        ("token", token, 200, True),
        ("password", password, 200, False),  # as typed: spaces count
        ("totp_code", totp_code, 12, True),
    ):
        try:
            checked[field] = text(value, field=field, max_length=limit, required=field != "totp_code", strip=strip)
        except ValidationError as exc:
            sent.take(exc)
    sent.raise_if_any()
    invitation = invitation_for_token(checked["token"])
    if invitation is None:
        raise ValidationError({"token": [INVALID_LINK_MESSAGE]})
    # Lock the invitation so two simultaneous accepts cannot both succeed.
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError({"token": [INVALID_LINK_MESSAGE]})
    user = invitation.user
    password, code = checked["password"], checked["totp_code"]
    errors: dict[str, list[str]] = {}
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    secret = invitation_totp_secret(invitation)
    if secret is not None:
        if not code:
            errors["totp_code"] = ["Type the 6-digit code your authenticator app shows for Aftercare."]
        elif not validate_totp_code(secret, code):
            errors["totp_code"] = ["That code is not the one your authenticator app shows now. Try the new code."]
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save(update_fields=["password"])
    if secret is not None:
        authenticator = TOTP.activate(user, secret).instance
        # Through allauth's own check, which also marks the code as used: it cannot
        # be replayed at the sign-in that follows.
        if not TOTP(authenticator).validate_code(code):
            raise ValidationError({"totp_code": ["That code was used already. Wait for the next one."]})
        RecoveryCodes.activate(user)
        invitation.totp_secret_sealed = b""
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at", "totp_secret_sealed"])
    # Accepting the emailed link proves the address: allauth requires a verified
    # address before TOTP can be set up.
    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    record_audit(actor=user, action="invitation.accepted", obj=user)
    return user


@transaction.atomic
def update_account_settings(*, user: User, display_units: object = NOT_SENT, time_zone: object = NOT_SENT) -> User:
    """Change the units and time zone the user reads in (what is not sent stays)."""
    errors = FieldErrors()
    if display_units is not NOT_SENT:
        if display_units not in DisplayUnits.values:
            errors.add("display_units", NOT_NULL if display_units is None else "Choose C (°C) or F (°F).")
        else:
            user.display_units = str(display_units)
    if time_zone is not NOT_SENT:
        try:
            user.time_zone = text(time_zone, field="time_zone", max_length=64, required=True)
        except ValidationError as exc:
            errors.take(exc)
    errors.raise_if_any()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_units", "time_zone"])
    return user


@transaction.atomic
def reset_mfa(*, user: User, actor: User) -> int:
    """Remove a user's authenticators (lost phone); they must enrol again."""
    deleted: int = Authenticator.objects.filter(user=user).delete()[0]
    record_audit(actor=actor, action="mfa.reset", obj=user)
    return deleted


# What decides how far an account reaches: its role, the triage pool (the alerts of
# patients without a care team), the quality mark (the clinic's figures and patients'
# feedback) and the admin site's flags.
ACCESS_FIELDS = ("role", "is_triage", "is_quality", "is_staff", "is_superuser")
ACCESS_ACTIONS = {
    "role": "account.role_changed",
    "is_triage": "account.triage_changed",
    "is_quality": "account.quality_changed",
    "is_staff": "account.staff_changed",
    "is_superuser": "account.superuser_changed",
}


@transaction.atomic
def save_account_by_admin(*, user: User, actor: User, created: bool) -> User:
    """Save an account as an admin edited it in Django admin.

    Nobody changes their own role, triage-pool, quality, staff or superuser flag (an admin who
    made themselves a clinician could give themselves a care team: DESIGN.md, "cannot
    give themselves a clinical role"): PermissionDenied. Every change of these on
    anyone else, and the access a new account starts with, is audited.
    """
    if created:
        user.save()
        detail = (
            f"role: {user.role}, triage: {user.is_triage}, quality: {user.is_quality}, "
            f"staff: {user.is_staff}, superuser: {user.is_superuser}"
        )
        record_audit(actor=actor, action="account.created", obj=user, detail=detail)
        return user
    before = User.objects.select_for_update().values(*ACCESS_FIELDS).get(pk=user.pk)
    changed = [field for field in ACCESS_FIELDS if before[field] != getattr(user, field)]
    if changed and user.pk == actor.pk:
        raise PermissionDenied("You cannot change your own role, triage pool, quality mark, staff or superuser status.")
    user.save()
    for field in changed:
        detail = f"{field}: {before[field]} -> {getattr(user, field)}"
        record_audit(actor=actor, action=ACCESS_ACTIONS[field], obj=user, detail=detail)
    return user


@transaction.atomic
def deactivate_user(*, user: User, actor: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit(actor=actor, action="account.deactivated", obj=user)
