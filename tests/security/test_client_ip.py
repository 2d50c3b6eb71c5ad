"""The audit log's IP address comes from the deployment's trusted proxies, never from
what a client writes into X-Forwarded-For; a header the proxies cannot have written
is a 400, never a 500 and never stored; write events record the IP too.

Before: the first X-Forwarded-For entry (client-controlled) was stored as the IP; a
value that is not an IP was stored verbatim on SQLite and made the request fail on
PostgreSQL (a 500); writes recorded no IP at all.
"""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def last_event(**filters) -> AuditEvent:
    return AuditEvent.objects.filter(**filters).order_by("-pk").first()


def read_patient(client, patient, **headers):
    return client.get(f"/api/v1/patients/{patient.pk}/", **headers)


def test_by_default_the_header_is_ignored_and_the_socket_address_is_recorded(client_for, clinician, patient):
    response = read_patient(client_for(clinician), patient, HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert response.status_code == 200
    assert last_event(action="patient.read").ip == "127.0.0.1"  # the test client's socket


@pytest.mark.parametrize(
    ("proxies", "forwarded", "recorded"),
    [
        (1, "198.51.100.7", "198.51.100.7"),  # the proxy saw the client
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own entry is not believed
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),  # two proxies: one from the right
        (1, "[2001:db8::7]:443", "2001:db8::7"),  # a port after the address is taken off
        (1, "198.51.100.7:5123", "198.51.100.7"),
    ],
)
def test_the_trusted_proxies_entry_is_recorded(client_for, clinician, patient, settings, proxies, forwarded, recorded):
    settings.AFTERCARE_TRUSTED_PROXIES = proxies
    assert read_patient(client_for(clinician), patient, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert last_event(action="patient.read").ip == recorded


@pytest.mark.parametrize(
    "forwarded",
    ["not-an-ip", "198.51.100.7, <script>", "198.51.100.7,", "' OR 1=1 --", "999.1.1.1", "a" * 500],
)
def test_a_malformed_header_is_a_400_and_nothing_is_stored(client_for, clinician, patient, settings, forwarded):
    settings.AFTERCARE_TRUSTED_PROXIES = 1
    before = AuditEvent.objects.count()
    response = read_patient(client_for(clinician), patient, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The X-Forwarded-For header is malformed."]}
    assert AuditEvent.objects.count() == before
    page = client_for(clinician).get(f"/patients/{patient.pk}/", HTTP_X_FORWARDED_FOR=forwarded)
    assert page.status_code == 400


def test_fewer_entries_than_trusted_proxies_is_a_400(client_for, clinician, patient, settings):
    settings.AFTERCARE_TRUSTED_PROXIES = 2
    assert read_patient(client_for(clinician), patient, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 400


def test_without_the_header_behind_proxies_the_socket_address_is_recorded(client_for, clinician, patient, settings):
    """The container's health check talks to the app directly, with no header."""
    settings.AFTERCARE_TRUSTED_PROXIES = 1
    assert read_patient(client_for(clinician), patient).status_code == 200
    assert last_event(action="patient.read").ip == "127.0.0.1"


def test_write_events_record_the_ip(client_for, clinician, patient, settings):
    """Services write their events without the request in hand: the address of the
    request under way is recorded all the same."""
    from tests.factories import ClinicianFactory

    settings.AFTERCARE_TRUSTED_PROXIES = 1
    client = client_for(patient.user)
    response = client.patch(
        f"/api/v1/patients/{patient.pk}/",
        {"health": {"kidney_disease": True}},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 200, response.content
    assert last_event(action="patient.health_updated").ip == "198.51.100.7"
    other = ClinicianFactory(email="second.opinion@example.test")
    response = client.post("/care-team/", {"clinician": other.pk}, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 302
    assert last_event(action="care_team.granted").ip == "198.51.100.8"


def test_events_outside_a_request_have_no_ip(clinician, patient):
    from portal.audit.services import record_audit

    assert record_audit(actor=clinician, action="patient.read", patient_id=patient.pk).ip is None


def test_the_sign_in_rate_limit_counts_the_trusted_address(client, settings, patient):
    """The per-address limit of sign-in attempts uses the same address: rotating a
    forged header does not make a fresh bucket for each attempt."""
    settings.AFTERCARE_TRUSTED_PROXIES = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    statuses = []
    for n in range(4):
        response = client.post(
            "/accounts/login/",
            {"login": f"nobody{n}@example.test", "password": "wrong-password-1"},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7",
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
