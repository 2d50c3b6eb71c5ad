"""Every lab endpoint, for the personas that may never use it: anonymous (401),
an admin (403: admins never see results), a clinician without MFA (403
mfa_required), and a patient on clinician-only actions (403)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/lab-reports/"),
    ("post", "/api/v1/lab-reports/"),
    ("get", "/api/v1/lab-reports/{report}/"),
    ("get", "/api/v1/lab-reports/{report}/file/"),
    ("post", "/api/v1/lab-reports/{report}/release/"),
    ("post", "/api/v1/lab-reports/{report}/entered-in-error/"),
    ("get", "/api/v1/lab-requests/"),
    ("post", "/api/v1/lab-requests/"),
    ("get", "/api/v1/lab-requests/{request}/"),
    ("post", "/api/v1/lab-requests/{request}/review/"),
    ("get", "/api/v1/lab-requests/prefill/?patient={patient}"),
]
CLINICIAN_ONLY = {
    ("post", "/api/v1/lab-reports/"),
    ("post", "/api/v1/lab-reports/{report}/release/"),
    ("post", "/api/v1/lab-reports/{report}/entered-in-error/"),
    ("post", "/api/v1/lab-requests/{request}/review/"),
    ("get", "/api/v1/lab-requests/prefill/?patient={patient}"),
}


@pytest.fixture
def urls(make_report, patient):
    from labs.services import request_labs

    report = make_report(released=True)
    lab_request = request_labs(requested_by=patient.user, patient=patient, tests=["crp"], reason="back pain")
    return {"report": report.pk, "request": lab_request.pk, "patient": patient.pk}


def call(client, method, path, urls):
    return getattr(client, method)(path.format(**urls), {}, format="json")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_is_401(anon_client, urls, method, path):
    assert call(anon_client, method, path, urls).status_code == 401


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_admin_is_403(client_for, admin, urls, method, path):
    assert call(client_for(admin), method, path, urls).status_code == 403


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_clinician_without_mfa_is_told_to_set_it_up(client_for, clinician_without_mfa, urls, method, path):
    response = call(client_for(clinician_without_mfa), method, path, urls)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


@pytest.mark.parametrize(("method", "path"), sorted(CLINICIAN_ONLY))
def test_patient_may_not_use_clinician_actions(client_for, patient, urls, method, path):
    assert call(client_for(patient.user), method, path, urls).status_code == 403


@pytest.mark.parametrize(("method", "path"), [item for item in ENDPOINTS if item[0] == "get"])
def test_outsider_clinician_sees_nothing(client_for, outsider_clinician, urls, method, path):
    response = call(client_for(outsider_clinician), method, path, urls)
    if path.endswith("lab-reports/") or path.endswith("lab-requests/"):
        assert response.json()["count"] == 0
    else:
        assert response.status_code == 404
