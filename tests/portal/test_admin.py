"""Django admin for accounts: list and filter by role, invite a clinician, deactivate,
reset MFA; and no admin page ever decrypts health data."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin as django_admin
from django.urls import reverse

from portal.accounts.models import Invitation, Role, User
from portal.audit.models import AuditEvent
from tests.factories import ClinicianFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for, admin):
    return client_for(admin)


def test_user_list_filters_by_role(admin_client, patient, clinician):
    response = admin_client.get("/admin/accounts/user/?role__exact=clinician")
    assert response.status_code == 200
    assert clinician.email.encode() in response.content
    assert patient.user.email.encode() not in response.content
    assert b"Invite a clinician" in response.content


def test_user_search(admin_client, patient):
    response = admin_client.get("/admin/accounts/user/", {"q": patient.user.email})
    assert patient.user.email.encode() in response.content


def test_invite_clinician_page(admin_client, admin, django_capture_on_commit_callbacks, mailoutbox):
    url = reverse("admin:accounts_user_invite")
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"Send invitation" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {"email": "dr.new@example.test", "first_name": "Dana", "last_name": "New", "specialty": "nursing"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="dr.new@example.test")
    assert user.role == Role.CLINICIAN and user.specialty == "nursing"
    assert Invitation.objects.get(user=user).invited_by == admin
    assert [mail.to for mail in mailoutbox] == [["dr.new@example.test"]]


def test_invite_clinician_page_shows_errors(admin_client, clinician):
    url = reverse("admin:accounts_user_invite")
    response = admin_client.post(
        url, {"email": clinician.email, "first_name": "A", "last_name": "B", "specialty": "nursing"}
    )
    assert response.status_code == 200
    assert b"already exists" in response.content


def test_invite_page_needs_staff(client_for, clinician):
    # A signed-in clinician is not sent round in circles between the admin and the
    # sign-in page: they are told no.
    response = client_for(clinician).get(reverse("admin:accounts_user_invite"), follow=True)
    assert response.status_code == 403


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def run_action(client, action, users, *, confirm=True):
    data = {"action": action, "_selected_action": [user.pk for user in users]}
    if confirm:
        data["confirm"] = "yes"
    return client.post("/admin/accounts/user/", data, follow=True)


@pytest.mark.parametrize(
    ("action", "says"),
    [("deactivate_users", "They cannot sign in any more"), ("reset_users_mfa", "authenticator app and recovery codes")],
)
def test_deactivate_and_reset_ask_first_saying_what_will_happen(admin_client, clinician, action, says):
    page = run_action(admin_client, action, [clinician], confirm=False).content.decode()
    assert says in page and clinician.email in page and 'name="confirm" value="yes"' in page
    clinician.refresh_from_db()
    assert clinician.is_active and Authenticator.objects.filter(user=clinician).exists()  # nothing yet


def test_deactivate_action(admin_client, admin, patient, clinician):
    response = run_action(admin_client, "deactivate_users", [patient.user, clinician, admin])
    assert response.status_code == 200
    patient.user.refresh_from_db()
    clinician.refresh_from_db()
    admin.refresh_from_db()
    assert not patient.user.is_active and not clinician.is_active
    assert admin.is_active  # never yourself
    assert AuditEvent.objects.filter(action="account.deactivated").count() == 2


def test_deactivated_user_cannot_sign_in(client, patient):
    from portal.accounts.services import deactivate_user
    from tests.factories import TEST_PASSWORD

    deactivate_user(user=patient.user, actor=None)
    response = client.post("/accounts/login/", {"login": patient.user.email, "password": TEST_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert (response.status_code, response["Location"]) == (302, "/accounts/inactive/")


def test_reset_mfa_action(admin_client, clinician):
    assert Authenticator.objects.filter(user=clinician).exists()
    response = run_action(admin_client, "reset_users_mfa", [clinician])
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=clinician).exists()
    assert AuditEvent.objects.filter(action="mfa.reset", object_id=str(clinician.pk)).exists()


def test_after_reset_the_clinician_must_enrol_again(admin_client, client_for, clinician):
    run_action(admin_client, "reset_users_mfa", [clinician])
    response = client_for(clinician).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_resend_invitation_action(admin_client, django_capture_on_commit_callbacks, mailoutbox, patient):
    invited = UserFactory()
    invited.set_unusable_password()
    invited.save()
    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, "resend_invitation", [invited, patient.user])
    assert [mail.to for mail in mailoutbox] == [[invited.email]]


def test_users_cannot_be_deleted(admin_client, patient):
    assert admin_client.get(f"/admin/accounts/user/{patient.user.pk}/delete/").status_code == 403


def test_user_change_page_shows_no_secrets(admin_client, clinician):
    response = admin_client.get(f"/admin/accounts/user/{clinician.pk}/change/")
    assert response.status_code == 200
    authenticator = Authenticator.objects.get(user=clinician)
    assert authenticator.data["secret"].encode() not in response.content


def test_no_admin_page_decrypts_health_data(admin_client, monkeypatch):
    """Seed the demo clinic (messages, lab reports, ...) and open every admin list and
    every first change page: nothing may unwrap a sealed blob."""
    from io import StringIO

    from django.core.management import call_command

    import portal.crypto

    call_command("seed_demo", stdout=StringIO())
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("an admin page opened a sealed blob")

    monkeypatch.setattr(portal.crypto, "_unwrap", refuse)
    ClinicianFactory()
    for model, model_admin in django_admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = admin_client.get(changelist)
        assert response.status_code == 200, changelist
        first = model_admin.get_queryset(response.wsgi_request).first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            assert admin_client.get(change).status_code == 200, change
    assert calls == []
