"""Flash messages stay on the server.

Before: Django's cookie storage put "Successfully signed in as <name>" (and the
like) into a ``messages`` cookie, signed but readable by anyone with the browser
(or a proxy's log). Now messages live in the session.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_in_sets_no_messages_cookie_and_the_message_is_still_shown(patient):
    client = Client()
    response = client.post("/accounts/login/", {"login": patient.user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "messages" not in response.cookies
    page = client.get(response["Location"], follow=True)
    assert "messages" not in client.cookies or not client.cookies["messages"].value
    assert f"Successfully signed in as {patient.user.first_name}" in page.content.decode()


def test_no_response_of_a_sign_in_and_a_form_sets_a_messages_cookie(client_for, patient):
    client = client_for(patient.user)
    response = client.post("/settings/", {"display_units": "F", "time_zone": "UTC"})
    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert "Settings saved." in client.get("/settings/").content.decode()
