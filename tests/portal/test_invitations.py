"""Invitations: one-time token, valid 7 days, used once; accepting proves the email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Invitation, Role
from portal.audit.models import AuditEvent
from tests.factories import totp_code

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-unusual-passphrase-42"


def invite(email="new.person@example.test", role=Role.PATIENT, **extra):
    return services.invite_user(email=email, first_name="Robin", last_name="Ash", role=role, **extra)


def link_token(body: str) -> str:
    match = re.search(r"/invitations/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


def test_invitation_emails_a_one_time_link(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        user, token = invite()
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [user.email]
    assert link_token(mail.body) == token
    assert "http://testserver/invitations/" in mail.body
    # Only the token's hash is stored.
    invitation = Invitation.objects.get(user=user)
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_no_email_when_the_enrolment_rolls_back(django_capture_on_commit_callbacks, mailoutbox):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        invite()
        raise RuntimeError("enrolment failed later")
    assert mailoutbox == []


def test_accepting_sets_the_password_and_verifies_the_email():
    user, token = invite()
    accepted = services.accept_invitation(token=token, password=GOOD_PASSWORD)
    accepted.refresh_from_db()
    assert accepted.check_password(GOOD_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.verified and address.primary
    assert address.email == user.email
    assert AuditEvent.objects.filter(action="invitation.accepted", object_id=str(user.pk)).exists()


def test_token_is_usable_once():
    _, token = invite()
    services.accept_invitation(token=token, password=GOOD_PASSWORD)
    with pytest.raises(services.ValidationError) as excinfo:
        services.accept_invitation(token=token, password="another-long-passphrase-7")
    assert "token" in excinfo.value.message_dict


def test_token_expires_after_seven_days():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _, token = invite()
        traveller.shift(timedelta(days=7, seconds=1))
        with pytest.raises(services.ValidationError) as excinfo:
            services.accept_invitation(token=token, password=GOOD_PASSWORD)
    assert "token" in excinfo.value.message_dict


def test_token_still_works_just_before_seven_days():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        user, token = invite()
        traveller.shift(timedelta(days=6, hours=23))
        assert services.accept_invitation(token=token, password=GOOD_PASSWORD) == user


def test_reissuing_revokes_the_earlier_link():
    user, first = invite()
    second = services.reissue_invitation(user=user)
    assert services.invitation_for_token(first) is None
    assert services.invitation_for_token(second) is not None


def test_weak_password_is_refused_and_the_token_stays_usable():
    user, token = invite()
    with pytest.raises(services.ValidationError) as excinfo:
        services.accept_invitation(token=token, password="12345")
    assert "password" in excinfo.value.message_dict
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert services.invitation_for_token(token) is not None


def test_inviting_an_existing_email_is_refused(patient):
    with pytest.raises(services.ValidationError) as excinfo:
        invite(email=patient.user.email.upper())
    assert "email" in excinfo.value.message_dict


# --- API -------------------------------------------------------------------------------


def test_api_accept(anon_client):
    _, token = invite()
    response = anon_client.post(
        "/api/v1/invitations/accept/", {"token": token, "password": GOOD_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email"] == "new.person@example.test"


@pytest.mark.parametrize("state", ["used", "expired", "unknown", "revoked"])
def test_api_refuses_spent_tokens_naming_token(anon_client, state):
    user, token = invite()
    if state == "used":
        services.accept_invitation(token=token, password=GOOD_PASSWORD)
    elif state == "expired":
        Invitation.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "unknown":
        token = "not-a-real-token"
    elif state == "revoked":
        services.reissue_invitation(user=user)
    response = anon_client.post(
        "/api/v1/invitations/accept/", {"token": token, "password": GOOD_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["token"]


@pytest.mark.parametrize("password", ["short", "password123", "1234567890123", "new.person@example.test"], ids=str)
def test_api_password_validators_name_password(anon_client, password):
    _, token = invite()
    response = anon_client.post("/api/v1/invitations/accept/", {"token": token, "password": password}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["password"]
    assert body["password"]


def test_api_missing_fields(anon_client):
    response = anon_client.post("/api/v1/invitations/accept/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"token", "password"}


def test_a_clinicians_invitation_sets_up_totp_with_the_password(client, frozen_clock):
    """The clinician has TOTP before any session of theirs can exist: there is no
    password-only window to sign in through."""
    user, token = invite(role=Role.CLINICIAN, specialty="neurology")
    invitation = Invitation.objects.get(user=user)
    setup = services.invitation_totp_setup(invitation)
    assert setup["otpauth_url"].startswith("otpauth://totp/")
    assert setup["secret"].encode() not in bytes(invitation.totp_secret_sealed)  # sealed at rest

    accepted = services.accept_invitation(token=token, password=GOOD_PASSWORD, totp_code=totp_code(setup["secret"]))
    assert Authenticator.objects.filter(user=accepted, type="totp").exists()
    assert Authenticator.objects.filter(user=accepted, type="recovery_codes").exists()
    invitation.refresh_from_db()
    assert invitation.used_at is not None and bytes(invitation.totp_secret_sealed) == b""

    # Signing in asks for the code; the code typed while accepting cannot be replayed.
    response = client.post("/accounts/login/", {"login": user.email, "password": GOOD_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(setup["secret"])}).status_code == 200
    assert client.get("/patients/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("code", "message"), [("", "Type the 6-digit code"), ("000000", "not the one your authenticator app shows")]
)
def test_a_clinicians_invitation_needs_the_code_and_saves_nothing_without_it(code, message, frozen_clock):
    user, token = invite(role=Role.CLINICIAN, specialty="neurology")
    with pytest.raises(ValidationError) as excinfo:
        services.accept_invitation(token=token, password="short", totp_code=code)
    assert set(excinfo.value.message_dict) == {"password", "totp_code"}  # every problem at once
    assert message in excinfo.value.message_dict["totp_code"][0]
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists()
    assert services.invitation_for_token(token) is not None


def test_an_admins_invitation_sets_up_totp_too(frozen_clock):
    user, token = invite(email="boss@example.test", role=Role.ADMIN)
    secret = services.invitation_totp_setup(Invitation.objects.get(user=user))["secret"]
    services.accept_invitation(token=token, password=GOOD_PASSWORD, totp_code=totp_code(secret))
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_a_patients_invitation_sets_up_no_totp():
    user, token = invite()
    assert services.invitation_totp_setup(Invitation.objects.get(user=user)) is None
    services.accept_invitation(token=token, password=GOOD_PASSWORD)
    assert not Authenticator.objects.filter(user=user).exists()


def test_the_api_gives_the_secret_and_accepts_with_the_code(anon_client, frozen_clock):
    user, token = invite(role=Role.CLINICIAN, specialty="nursing")
    response = anon_client.post("/api/v1/invitations/totp/", {"token": token}, format="json")
    assert response.status_code == 200
    secret = response.json()["secret"]
    assert response.json()["otpauth_url"].startswith("otpauth://totp/")
    # The same secret until accepted: a second call does not change what was scanned.
    assert anon_client.post("/api/v1/invitations/totp/", {"token": token}, format="json").json()["secret"] == secret

    missing = anon_client.post(
        "/api/v1/invitations/accept/", {"token": token, "password": GOOD_PASSWORD}, format="json"
    )
    assert missing.status_code == 400
    assert list(missing.json()) == ["totp_code"]
    response = anon_client.post(
        "/api/v1/invitations/accept/",
        {"token": token, "password": GOOD_PASSWORD, "totp_code": totp_code(secret)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_the_api_totp_endpoint_refuses_bad_tokens_and_patients_invitations(anon_client):
    _, token = invite()
    for body in ({"token": token}, {"token": "nope"}, {}):
        response = anon_client.post("/api/v1/invitations/totp/", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["token"]


# --- Web page ------------------------------------------------------------------------------


def test_web_page_shows_the_form(client):
    _, token = invite()
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 200
    assert b"new.person@example.test" in response.content
    assert response["Cache-Control"].startswith("no-store") or "no-cache" in response["Cache-Control"]


def test_web_page_accepts_and_redirects_to_sign_in(client):
    user, token = invite()
    response = client.post(f"/invitations/{token}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
    assert client.get(f"/invitations/{token}/").status_code == 404


def test_sign_in_after_accepting_shows_the_address_once(client):
    user, token = invite()
    client.post(f"/invitations/{token}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    page = client.get("/accounts/login/").content.decode()
    assert f'value="{user.email}"' in page
    assert user.email not in client.get("/accounts/login/").content.decode()  # once, for this browser only


def test_a_clinicians_invitation_page_sets_up_the_authenticator_app(client, frozen_clock):
    user, token = invite(role=Role.CLINICIAN, specialty="neurology")
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    secret = page.context["totp"]["secret"]
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, no external image
    assert f'value="{secret}"' in html
    assert 'autocomplete="one-time-code"' in html

    no_code = client.post(f"/invitations/{token}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert no_code.status_code == 200
    assert no_code.context["form"].errors["code"] == [
        "Type the 6-digit code your authenticator app shows for Aftercare."
    ]
    wrong = client.post(
        f"/invitations/{token}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "code": "123456"}
    )
    assert "not the one your authenticator app shows" in wrong.context["form"].errors["code"][0]
    assert wrong.context["totp"]["secret"] == secret  # the same key to scan, until it works
    user.refresh_from_db()
    assert not user.has_usable_password()

    response = client.post(
        f"/invitations/{token}/",
        {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD, "code": totp_code(secret)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert Authenticator.objects.filter(user=user, type="totp").exists()


def test_web_page_shows_validator_messages(client):
    _, token = invite()
    response = client.post(f"/invitations/{token}/", {"password1": "short", "password2": "short"})
    assert response.status_code == 200
    assert b"too short" in response.content


def test_web_page_mismatched_passwords(client):
    _, token = invite()
    response = client.post(f"/invitations/{token}/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"})
    assert response.status_code == 200
    assert b"differ" in response.content


def test_web_page_for_a_bad_token(client):
    response = client.get("/invitations/nonsense/")
    assert response.status_code == 404
    assert b"does not work" in response.content


# --- create_clinician ----------------------------------------------------------------------


def test_create_clinician_command_sends_the_invitation(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_clinician",
            "--email",
            "Dr.Lee@Example.test",
            "--first-name",
            "Kim",
            "--last-name",
            "Lee",
            "--specialty",
            "anesthesiology",
        )
    from portal.accounts.models import User

    user = User.objects.get(email="dr.lee@example.test")
    assert user.role == Role.CLINICIAN
    assert user.specialty == "anesthesiology"
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["dr.lee@example.test"]
    assert "/invitations/" in mailoutbox[0].body


def test_create_clinician_refuses_a_duplicate(clinician):
    with pytest.raises(CommandError, match="email"):
        call_command(
            "create_clinician",
            "--email",
            clinician.email,
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--specialty",
            "neurology",
        )


# --- Signup is closed ----------------------------------------------------------------------


def test_open_signup_is_off_by_default(client, settings):
    assert settings.AFTERCARE_OPEN_SIGNUP is False
    response = client.post(
        "/accounts/signup/",
        {"email": "walk.in@example.test", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    from portal.accounts.models import User

    assert not User.objects.filter(email="walk.in@example.test").exists()
    assert response.status_code == 200
    assert b"closed" in response.content.lower()


def test_headless_signup_is_refused(anon_client):
    response = anon_client.post(
        "/_allauth/app/v1/auth/signup",
        {"email": "walk.in@example.test", "password": GOOD_PASSWORD},
        format="json",
    )
    assert response.status_code == 403


def test_create_admin_command_invites_a_staff_user(
    django_capture_on_commit_callbacks, mailoutbox, client, frozen_clock
):
    from portal.accounts.models import User

    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_admin", "--email", "boss@example.test", "--first-name", "Ada", "--last-name", "Min")
    user = User.objects.get(email="boss@example.test")
    assert user.role == Role.ADMIN and user.is_staff and user.is_superuser
    assert not user.has_usable_password()
    token = link_token(mailoutbox[0].body)
    secret = services.invitation_totp_setup(Invitation.objects.get(user=user))["secret"]
    services.accept_invitation(token=token, password=GOOD_PASSWORD, totp_code=totp_code(secret))
    assert EmailAddress.objects.get(user=user).verified
