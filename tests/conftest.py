"""Persona fixtures shared by the whole suite.

- ``patient`` and ``other_patient``: two patients, each with a procedure a day ago.
- ``clinician``: on ``patient``'s care team, with TOTP set up.
- ``clinician_without_mfa``: on ``patient``'s care team, no TOTP yet.
- ``outsider_clinician``: MFA set up, on nobody's care team.
- ``admin``: staff, MFA set up.
``client_for(user)`` gives a signed-in Django test client (pages and API alike);
a user with TOTP gets a session that passed the TOTP step (tests/sessions.py).
"""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import AdminFactory, CareTeamGrantFactory, ClinicianFactory, PatientFactory
from tests.sessions import sign_in


def pytest_addoption(parser):
    """Options of the browser journeys (tests/e2e): registered here, the suite's top conftest."""
    group = parser.getgroup("browser", "real-browser journeys (tests/e2e)")
    group.addoption(
        "--skip-browser",
        action="store_true",
        default=False,
        help="skip the headless-Chromium journeys (marked 'browser'); make test never passes it",
    )
    group.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="save a full-page PNG of every checked page under tests/e2e/screenshots/",
    )


def pytest_sessionstart(session):
    """The suite runs against PostgreSQL, as CI does: some tests prove what only
    PostgreSQL does (the audit log's trigger, the application role, JSONB). Another
    database stops the run here rather than skipping them."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        raise pytest.UsageError(
            f"The test suite needs PostgreSQL (DATABASE_URL, see portal/settings_test.py), not {engine}."
        )


@pytest.fixture(autouse=True)
def _isolated_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_clock():
    """The clock stopped (time_machine): a TOTP code a test computes is still the
    server's when it checks it; ``frozen_clock.shift(...)`` moves on."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient(db):
    return PatientFactory(user__email="patient.a@example.test", user__first_name="Avery")


@pytest.fixture
def other_patient(db):
    return PatientFactory(user__email="patient.b@example.test", user__first_name="Blake")


@pytest.fixture
def clinician(db, patient):
    user = ClinicianFactory(email="clinician@example.test")
    CareTeamGrantFactory(patient=patient, clinician=user)
    return user


@pytest.fixture
def clinician_without_mfa(db, patient):
    user = ClinicianFactory(email="new.clinician@example.test", mfa=False)
    CareTeamGrantFactory(patient=patient, clinician=user)
    return user


@pytest.fixture
def outsider_clinician(db):
    return ClinicianFactory(email="outsider@example.test")


@pytest.fixture
def anesthesiologist(db, patient):
    user = ClinicianFactory(email="anesthesia@example.test", specialty="anesthesiology")
    CareTeamGrantFactory(patient=patient, clinician=user)
    return user


@pytest.fixture
def admin(db):
    return AdminFactory(email="admin@example.test")


@pytest.fixture
def seeded_rules(db):
    """The alert rule rows (a transactional test elsewhere may have flushed them)."""
    from tests.reference_data import seed_alert_rules

    seed_alert_rules()


@pytest.fixture
def client_for(db):
    """``client_for(user)``: an API-capable client signed in as ``user`` (session)."""

    def make(user) -> APIClient:
        client = APIClient()
        sign_in(client, user)
        return client

    return make


@pytest.fixture
def anon_client() -> Client:
    return APIClient()
