"""DRF plumbing shared by every app: authentication, error shapes, pagination, schema."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_not_signed_in_is_401_with_a_challenge(anon_client):
    response = anon_client.get("/api/v1/me")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert "detail" in response.json()


def test_a_bad_session_token_is_401(anon_client):
    response = anon_client.get("/api/v1/me", HTTP_X_SESSION_TOKEN="not-a-token")
    assert response.status_code == 401


def test_malformed_json_is_400_not_500(anon_client):
    response = anon_client.post(
        "/api/v1/invitations/accept/", data='{"token": "abc", ', content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["non_field_errors"]
    assert body["non_field_errors"]


def test_malformed_json_for_a_signed_in_user(client_for, patient):
    response = client_for(patient.user).patch("/api/v1/me", data="[[[", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"token": ["a", "list"], "password": "a-long-unusual-passphrase-42"}, "token"),
        ({"token": "t", "password": {"nested": True}}, "password"),
        ({"token": "x" * 500, "password": "a-long-unusual-passphrase-42"}, "token"),
    ],
)
def test_wrong_types_name_the_field(anon_client, payload, field):
    response = anon_client.post("/api/v1/invitations/accept/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_service_validation_errors_keep_their_field(client_for, patient):
    response = client_for(patient.user).patch("/api/v1/me", {"time_zone": "Mars/Olympus_Mons"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["time_zone"]


def test_me_settings_can_be_changed(client_for, patient):
    client = client_for(patient.user)
    response = client.patch("/api/v1/me", {"display_units": "F", "time_zone": "Europe/Berlin"}, format="json")
    assert response.status_code == 200
    assert response.json()["display_units"] == "F"
    assert client.get("/api/v1/me").json()["time_zone"] == "Europe/Berlin"


def test_me_shape(client_for, patient):
    body = client_for(patient.user).get("/api/v1/me").json()
    assert {"id", "email", "role", "display_units", "time_zone", "patient_id", "mfa_enabled"} <= set(body)


def test_unknown_api_path_is_404(client_for, patient):
    assert client_for(patient.user).get("/api/v1/no-such-thing/").status_code == 404


@pytest.mark.urls("tests.portal.urls_health_data")
def test_pagination_shape(client_for, patient):
    client = client_for(patient.user)
    body = client.get("/api/v1/test-numbers/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 120
    assert len(body["results"]) == 50
    assert body["previous"] is None
    assert body["next"].endswith("/api/v1/test-numbers/?page=2")
    last = client.get("/api/v1/test-numbers/?page=3").json()
    assert last["results"] == list(range(101, 121))
    assert last["next"] is None
    assert client.get("/api/v1/test-numbers/?page_size=1000").json()["results"].__len__() == 120
    assert client.get("/api/v1/test-numbers/?page=99").status_code == 404


def test_schema_is_served_and_describes_the_contract(anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Aftercare API"
    assert "/api/v1/me" in schema["paths"]
    assert "/api/v1/invitations/accept/" in schema["paths"]


def test_docs_use_only_local_assets(anon_client):
    response = anon_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, html
    for url in urls:
        assert url.startswith("/"), f"asset not served by the project: {url}"
        assert not url.startswith("//"), url
    assets = [url for url in urls if url.startswith("/static/")]
    assert any("swagger-ui" in url for url in assets)
    # The assets really exist in the sidecar.
    from django.contrib.staticfiles import finders

    for url in assets:
        assert finders.find(url.removeprefix("/static/")), url
    assert "cdn" not in html.lower()
    # No inline script (a strict Content-Security-Policy is coming): every <script> has a src.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    script = anon_client.get(next(url for url in urls if "script" in url))
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


def test_healthz(anon_client):
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
