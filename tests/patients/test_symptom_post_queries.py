"""The symptom POST's round trips, pinned: a plain entry (no alert) costs a fixed,
listed number of queries. A new one on this path (the hottest write of the portal,
bench/load.py) must be a deliberate change of this number."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from rest_framework.test import APIClient

from alerts.models import Alert
from patients.models import SymptomEntry
from patients.questions import YES_NO_FIELDS
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# 1-2 the session token: the session (one read, portal.accounts.tokens), the user (as the
#     bare insert of bench/baseline.py reads them); 3 the caller's patient row; then the
#     entry's transaction (here a savepoint inside the test's, BEGIN/COMMIT in
#     production): 4 SAVEPOINT, 5 the INSERT, 6 the rules' change stamps with the
#     patient's custom values (alerts.rules: the rows themselves are kept per process),
#     7 the score_rise look-back carrying the latest procedure's time, 8 RELEASE. No clinic settings (no
#     number to fill in), no second read of the rules for the answer's temperature, no
#     audit (the patient's own record), no alert.
PLAIN_POST_QUERIES = 8


def app_client(user) -> APIClient:
    """The mobile app's client: a signed-in session's key as ``X-Session-Token``."""
    request = HttpRequest()
    request.META = {"REMOTE_ADDR": "127.0.0.1"}
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    client = APIClient()
    client.credentials(HTTP_X_SESSION_TOKEN=request.session.session_key)
    return client


def plain_entry(**fields) -> dict:
    return {**dict.fromkeys(YES_NO_FIELDS, False), "back_pain": 1, "headache": 2, "temperature_c": 36.8, **fields}


def test_a_plain_symptom_post_runs_a_fixed_number_of_queries(
    real_rule_engine, seeded_rules, patient, django_assert_num_queries
):
    client = app_client(patient.user)
    assert client.post("/api/v1/symptoms/", plain_entry(), format="json").status_code == 201  # warm the rule rows
    with django_assert_num_queries(PLAIN_POST_QUERIES):
        response = client.post("/api/v1/symptoms/", plain_entry(headache=1), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["temperature_c"] == 36.8 and body["alerts"] == []
    assert SymptomEntry.objects.filter(patient=patient).count() == 2
    assert not Alert.objects.exists() and not AuditEvent.objects.filter(patient_id=patient.pk).exists()


def test_an_unknown_or_signed_out_token_is_refused(patient):
    """One read of the session still tells a live session from a missing one."""
    client = app_client(patient.user)
    client.credentials(HTTP_X_SESSION_TOKEN="not-a-session-key")
    assert client.post("/api/v1/symptoms/", plain_entry(), format="json").status_code == 401
    assert not SymptomEntry.objects.exists()


def test_a_post_that_raises_an_alert_still_writes_it_and_answers_the_same(
    real_rule_engine, seeded_rules, patient, clinician
):
    """The fewer round trips change nothing of what an alerting entry writes and says."""
    client = app_client(patient.user)
    response = client.post("/api/v1/symptoms/", plain_entry(temperature_c=38.6), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["temperature_c"] == 38.6 and body["temperature_f"] == 101.5
    alert = Alert.objects.get()
    assert body["alerts"] == [alert.pk] and alert.rule.code == "fever"
    assert body["recommendations"][0]["rule"] == "fever"
