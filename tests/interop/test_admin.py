"""Integration clients in Django admin: the token is shown once, stored hashed, and the
client is revoked (never deleted); both are audited."""

from __future__ import annotations

import re

import pytest

from interop.models import IntegrationClient
from interop.services import token_hash
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_adding_a_client_shows_its_token_once(client_for, admin):
    client = client_for(admin)
    response = client.post("/admin/interop/integrationclient/add/", {"name": "Hospital lab"})
    assert response.status_code == 200
    token = re.search(r'value="(afc_[^"]+)"', response.content.decode()).group(1)
    stored = IntegrationClient.objects.get(name="Hospital lab")
    assert stored.token_hash == token_hash(token)
    assert "no-store" in response["Cache-Control"]
    # Never again: the change page shows only its first characters.
    page = client.get(f"/admin/interop/integrationclient/{stored.pk}/change/").content.decode()
    assert token not in page and stored.token_prefix in page
    assert AuditEvent.objects.filter(action="integration_client.create", actor=admin).count() == 1


def test_a_client_is_revoked_by_an_admin_action_and_never_deleted(client_for, admin, lab_system):
    lab, _ = lab_system
    client = client_for(admin)
    response = client.post(
        "/admin/interop/integrationclient/", {"action": "revoke", "_selected_action": [lab.pk]}, follow=True
    )
    assert response.status_code == 200
    lab.refresh_from_db()
    assert lab.revoked_at is not None and lab.revoked_by == admin
    assert client.get(f"/admin/interop/integrationclient/{lab.pk}/delete/").status_code == 403


def test_a_name_in_use_is_refused(client_for, admin, lab_system):
    response = client_for(admin).post("/admin/interop/integrationclient/add/", {"name": "City lab"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert IntegrationClient.objects.filter(name="City lab").count() == 1
