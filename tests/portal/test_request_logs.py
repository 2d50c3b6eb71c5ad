"""Structured logs: one JSON line per request and per Celery task, with the route's
name (never the path), status, duration, the user's role and a request id that the
task queued by the request carries too."""

from __future__ import annotations

import json
import logging

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from portal.operations.logs import JsonLines, current_request_id

pytestmark = pytest.mark.django_db


def lines(caplog, logger: str) -> list[dict]:
    formatter = JsonLines()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def test_one_json_line_per_request(caplog, client_for, patient):
    caplog.set_level(logging.INFO, logger="aftercare.request")
    client = client_for(patient.user)
    response = client.get(f"/api/v1/patients/{patient.pk}/?zz=1", HTTP_X_REQUEST_ID="proxy-req-0042")
    assert response["X-Request-ID"] == "proxy-req-0042"
    (line,) = lines(caplog, "aftercare.request")
    assert line["route"] == "api_patient"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["role"] == "patient"
    assert line["request_id"] == "proxy-req-0042"
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert line["message"] == "request"
    text = json.dumps(line)
    assert f"/{patient.pk}/" not in text and "zz=1" not in text and patient.user.email not in text


def test_anonymous_and_unmatched_requests_and_a_fresh_request_id(caplog, anon_client):
    caplog.set_level(logging.INFO, logger="aftercare.request")
    response = anon_client.get("/no/such/page/", HTTP_X_REQUEST_ID="free text; with spaces")
    (line,) = lines(caplog, "aftercare.request")
    assert (line["route"], line["status"], line["role"]) == ("unmatched", 404, "anonymous")
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32 and "free" not in line["request_id"]


def test_an_api_call_with_a_session_token_logs_the_callers_role(caplog, patient):
    from rest_framework.test import APIClient

    from tests.factories import TEST_PASSWORD

    app = APIClient()
    login = app.post(
        "/_allauth/app/v1/auth/login",
        {"email": patient.user.email, "password": TEST_PASSWORD},
        format="json",
    )
    app.credentials(HTTP_X_SESSION_TOKEN=login.json()["meta"]["session_token"])
    caplog.clear()
    assert app.get("/api/v1/me").status_code == 200
    (line,) = lines(caplog, "aftercare.request")
    assert (line["route"], line["role"]) == ("api_me", "patient")


@pytest.fixture
def worker_app():
    """A Celery app on the in-memory broker with a real worker thread: the message goes
    through publishing (headers) and the worker's prerun and postrun, as in production."""
    # No Django fix-up: it would close the test database connection's socket as if forked.
    app = Celery("request-id-test", broker="memory://", backend="cache+memory://", fixups=[])
    app.conf.task_serializer = "json"

    @app.task(name="tests.add")
    def add(a, b):
        return a + b

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield add


def test_a_task_line_carries_the_request_id_of_the_request_that_queued_it(caplog, worker_app):
    caplog.set_level(logging.INFO, logger="aftercare.task")
    token = current_request_id.set("req-carried-00001")
    try:
        result = worker_app.delay(2, 3)
    finally:
        current_request_id.reset(token)
    assert result.get(timeout=10) == 5
    # The line of the task this test queued (by its id): a worker thread may also log
    # other deliveries while it runs, which are not what this test is about.
    (line,) = [line for line in lines(caplog, "aftercare.task") if line["task_id"] == result.id]
    assert line["request_id"] == "req-carried-00001"
    assert line["state"] == "SUCCESS"
    assert line["task"] == "tests.add"
    assert isinstance(line["duration_ms"], float)
    assert set(line) == {"time", "level", "logger", "message", "task", "task_id", "state", "duration_ms", "request_id"}
