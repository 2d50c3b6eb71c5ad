import pytest


@pytest.mark.django_db
def test_sign_in_page_is_served(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Aftercare" in response.content


def test_me_for_clinician_without_mfa(client_for, clinician_without_mfa):
    response = client_for(clinician_without_mfa).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["mfa_enabled"] is False
    assert response.json()["role"] == "clinician"


def test_me_for_patient(client_for, patient):
    body = client_for(patient.user).get("/api/v1/me").json()
    assert body["patient_id"] == patient.pk
    assert body["role"] == "patient"


@pytest.mark.django_db
def test_anonymous_api_call_is_401(anon_client):
    assert anon_client.get("/api/v1/me").status_code == 401
