"""``GET /readyz`` (API.md, Operations): 200 while the alert pipeline is on time, 503
once the scan has not run for 5 minutes or a notification has waited more than 10;
the database and the broker; no authentication, no patient data, one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from portal.celery import app
from portal.operations.models import Heartbeat
from portal.operations.pipeline import record_heartbeat
from portal.outbox.models import Notification, NotificationStatus
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def beat(seconds_ago: float, name: str = Heartbeat.SCAN) -> None:
    record_heartbeat(name=name, duration_s=0.2, now=NOW - timedelta(seconds=seconds_ago))


def waiting(seconds_ago: float, *, status: str = NotificationStatus.PENDING) -> Notification:
    user = PatientFactory().user
    return Notification.objects.create(
        recipient=user,
        kind="alert",
        dedup_key=f"test:{user.pk}:{status}",
        status=status,
        created_at=NOW - timedelta(seconds=seconds_ago),
    )


def readyz(client):
    with time_machine.travel(NOW, tick=False):
        return client.get("/readyz")


def test_on_time_answers_200_with_the_documented_body(anon_client):
    beat(42)
    response = readyz(anon_client)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "database": True,
        "broker": True,
        "scan": {"last_run_at": (NOW - timedelta(seconds=42)).isoformat(), "age_s": 42, "ok": True},
        "outbox": {"oldest_pending_age_s": None, "failed_24h": 0, "ok": True},
        "ok": True,
    }
    assert response["Cache-Control"].startswith("no-store") or "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(("age", "expected"), [(299, 200), (300, 200), (301, 503), (720, 503)])
def test_the_scan_may_be_five_minutes_old(anon_client, age, expected):
    beat(age)
    response = readyz(anon_client)
    assert response.status_code == expected
    assert response.json()["scan"]["ok"] is (expected == 200)
    assert response.json()["ok"] is (expected == 200)


def test_a_new_installation_has_five_minutes_before_the_first_scan(anon_client):
    """The migration dates both heartbeats when the database is made."""
    Heartbeat.objects.update(beat_at=NOW - timedelta(seconds=100), runs=0)
    assert readyz(anon_client).status_code == 200
    Heartbeat.objects.update(beat_at=NOW - timedelta(seconds=301))
    assert readyz(anon_client).status_code == 503


def test_a_scan_without_a_heartbeat_row_is_not_ready(anon_client):
    Heartbeat.objects.all().delete()
    response = readyz(anon_client)
    assert response.status_code == 503
    assert response.json()["scan"] == {"last_run_at": None, "age_s": None, "ok": False}


@pytest.mark.parametrize(("age", "expected"), [(599, 200), (600, 200), (601, 503)])
def test_a_notification_may_wait_ten_minutes(anon_client, age, expected):
    beat(10)
    waiting(age)
    waiting(30, status=NotificationStatus.SENT)  # sent rows never count, however old
    response = readyz(anon_client)
    assert response.status_code == expected
    assert response.json()["outbox"]["oldest_pending_age_s"] == age
    assert response.json()["outbox"]["ok"] is (expected == 200)


def test_a_notification_stuck_while_sending_counts_as_waiting(anon_client):
    beat(10)
    waiting(900, status=NotificationStatus.SENDING)  # its worker died mid-send
    assert readyz(anon_client).status_code == 503


def test_failures_of_the_last_24_hours_are_reported_not_fatal(anon_client):
    beat(10)
    recent, old = waiting(0, status=NotificationStatus.FAILED), waiting(0, status=NotificationStatus.FAILED)
    Notification.objects.filter(pk=recent.pk).update(claimed_at=NOW - timedelta(hours=23))
    Notification.objects.filter(pk=old.pk).update(claimed_at=NOW - timedelta(hours=25))
    response = readyz(anon_client)
    assert response.status_code == 200
    assert response.json()["outbox"]["failed_24h"] == 1


def test_a_broker_that_does_not_answer_is_not_ready(anon_client, monkeypatch):
    beat(10)
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    response = readyz(anon_client)
    assert response.status_code == 503
    assert response.json()["broker"] is False
    assert response.json()["scan"]["ok"] is True


def test_no_authentication_and_no_patient_data(anon_client, client_for):
    patient = PatientFactory(user__first_name="Zzcanary", user__email="zzcanary@example.test")
    beat(10)
    waiting(700)
    for client in (anon_client, client_for(patient.user)):
        response = readyz(client)
        assert response.status_code == 503
        text = response.content.decode()
        assert "zzcanary" not in text.lower()
        body = response.json()
        assert set(body) == {"database", "broker", "scan", "outbox", "ok"}
        assert set(body["scan"]) == {"last_run_at", "age_s", "ok"}
        assert set(body["outbox"]) == {"oldest_pending_age_s", "failed_24h", "ok"}


def test_one_query_while_on_time(anon_client, django_assert_max_num_queries):
    beat(10)
    waiting(30)
    with django_assert_max_num_queries(1):
        assert readyz(anon_client).status_code == 200
