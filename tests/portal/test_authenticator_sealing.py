"""TOTP secrets are sealed to their row, and the admin cannot edit authenticators.

The attack: an admin copied one clinician's authenticator data (the sealed secret,
whose key they know from their own phone) into another clinician's row in Django
admin, then passed that clinician's TOTP step with their own codes; nothing was
audited. Now the admin page is read-only, and a secret moved to another row (by
any means, the database included) does not open there.
"""

from __future__ import annotations

import base64
import json
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.test import Client

from portal.accounts.adapters import PREFIX, MFAAdapter, authenticator_seal_context
from portal.crypto import open_sealed, seal
from tests.factories import TEST_PASSWORD, ClinicianFactory, enable_totp, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def stored_data(user) -> dict:
    """The row's data as the database holds it (no model instance in between)."""
    return Authenticator.objects.filter(user=user, type="totp").values_list("data", flat=True).get()


@pytest.fixture
def two_clinicians():
    mallory = ClinicianFactory(email="mallory@example.test", mfa=False)
    victim = ClinicianFactory(email="victim@example.test", mfa=False)
    return mallory, enable_totp(mallory), victim, enable_totp(victim)


def test_a_secret_copied_into_another_clinicians_row_does_not_pass_their_totp(two_clinicians):
    mallory, mallory_secret, victim, _ = two_clinicians
    # The copy, done below the admin (the admin's pages are read-only now): raw SQL or a shell.
    Authenticator.objects.filter(user=victim, type="totp").update(data=stored_data(mallory))

    client = Client()
    response = client.post("/accounts/login/", {"login": victim.email, "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(mallory_secret)})
    # Before: 302, signed in as the victim. Now the secret does not open in this row.
    assert response.status_code == 200
    assert "cannot be used" in response.content.decode()
    assert client.get("/patients/")["Location"].startswith("/accounts/login/")

    # The app's sign-in answers the same way: a 400, not a server error.
    from rest_framework.test import APIClient

    app = APIClient()
    response = app.post(
        "/_allauth/app/v1/auth/login", {"email": victim.email, "password": TEST_PASSWORD}, format="json"
    )
    token = response.json()["meta"]["session_token"]
    response = app.post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        {"code": totp_code(mallory_secret)},
        format="json",
        HTTP_X_SESSION_TOKEN=token,
    )
    assert response.status_code == 400


def test_a_copied_secret_does_not_open_through_the_adapter_either(two_clinicians):
    mallory, _, victim, _ = two_clinicians
    Authenticator.objects.filter(user=victim, type="totp").update(data=stored_data(mallory))
    row = Authenticator.objects.get(user=victim, type="totp")
    with pytest.raises(Exception, match="cannot be used"):
        MFAAdapter().decrypt(row.data["secret"])


def test_the_secret_is_sealed_with_its_owner_and_kind_as_associated_data(two_clinicians):
    mallory, mallory_secret, _, _ = two_clinicians
    sealed = stored_data(mallory)["secret"]
    assert sealed.startswith(PREFIX) and mallory_secret not in json.dumps(stored_data(mallory))
    blob = base64.b64decode(sealed[len(PREFIX) :])
    assert open_sealed(blob, context=authenticator_seal_context(mallory.pk, "totp")).decode() == mallory_secret
    with pytest.raises(Exception, match="integrity"):
        open_sealed(blob, context="mfa_secret")  # the old, shared context opens nothing


def test_recovery_codes_are_bound_too(two_clinicians):
    mallory, _, victim, _ = two_clinicians
    codes = RecoveryCodes.activate(mallory)
    RecoveryCodes.activate(victim)
    mallory_seed = Authenticator.objects.filter(pk=codes.instance.pk).values_list("data", flat=True).get()
    Authenticator.objects.filter(user=victim, type="recovery_codes").update(data=mallory_seed)
    client = Client()
    client.post("/accounts/login/", {"login": victim.email, "password": TEST_PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": codes.get_unused_codes()[0]})
    assert response.status_code == 200


def test_the_admin_cannot_edit_add_or_delete_an_authenticator(client_for, admin, two_clinicians):
    mallory, _, victim, _ = two_clinicians
    row = Authenticator.objects.get(user=victim, type="totp")
    before = stored_data(victim)
    client = client_for(admin)
    page = client.get(f"/admin/mfa/authenticator/{row.pk}/change/")
    assert page.status_code == 200  # a read-only view
    assert before["secret"].encode() not in page.content
    response = client.post(
        f"/admin/mfa/authenticator/{row.pk}/change/",
        {"user": victim.pk, "type": "totp", "data": json.dumps(stored_data(mallory))},
    )
    assert response.status_code == 403
    assert client.get("/admin/mfa/authenticator/add/").status_code == 403
    assert client.post(f"/admin/mfa/authenticator/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert stored_data(victim) == before


def test_secrets_sealed_the_old_way_are_moved_to_their_row_by_the_migration():
    """What 0005 does to rows written before it: "sealed:" with the shared context
    become "sealed2:" bound to the row, and still open to the same secret."""
    user = ClinicianFactory(email="older@example.test", mfa=False)
    secret = enable_totp(user)
    legacy = "sealed:" + base64.b64encode(seal(secret.encode(), context="mfa_secret")).decode()
    Authenticator.objects.filter(user=user).update(data={"secret": legacy})

    import_module("portal.accounts.migrations.0005_seal_mfa_secrets_to_their_row").forwards(apps, None)

    assert stored_data(user)["secret"].startswith(PREFIX)
    row = Authenticator.objects.get(user=user, type="totp")
    assert MFAAdapter().decrypt(row.data["secret"]) == secret
