"""``GET /metrics``: Prometheus text format behind ``AFTERCARE_METRICS_TOKEN``; the
figures of API.md and the issue; no label that could name a patient."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alerts.models import Alert, AlertRule
from portal.operations.models import Heartbeat
from portal.operations.pipeline import record_heartbeat
from portal.outbox.models import Notification
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def token(settings):
    settings.AFTERCARE_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> list:
    """Every sample of a scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return [sample for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples]


def value(samples, name, default=None, **labels) -> float:
    for sample in samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    if default is not None:
        return default
    raise AssertionError(f"no sample {name} {labels}")


def test_404_while_no_token_is_set(anon_client, settings):
    settings.AFTERCARE_METRICS_TOKEN = ""
    assert anon_client.get("/metrics").status_code == 404
    assert anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer", f"Token {TOKEN}"],
)
def test_401_without_the_right_bearer_token(anon_client, token, header):
    kwargs = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = anon_client.get("/metrics", **kwargs)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"aftercare_" not in response.content


def test_request_counts_and_latency_by_route_name(anon_client, token, client_for, patient):
    client = client_for(patient.user)
    before = scrape(anon_client)
    for _ in range(3):
        assert client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    after = scrape(anon_client)
    name = "aftercare_http_requests_total"
    labels = {"route": "api_patient", "method": "GET", "status": "200"}
    old = value(before, name, default=0, **labels)
    assert value(after, name, **labels) - old == 3
    assert value(after, "aftercare_http_request_duration_seconds_count", route="api_patient", method="GET") >= 3


def test_login_failures_are_counted(anon_client, token, patient):
    before = value(scrape(anon_client), "aftercare_login_failures_total", default=0)
    response = anon_client.post("/accounts/login/", {"login": patient.user.email, "password": TEST_PASSWORD + "no"})
    assert response.status_code == 200
    assert value(scrape(anon_client), "aftercare_login_failures_total") == before + 1


def test_the_pipeline_figures(anon_client, token, clinician, patient):
    now = timezone.now()
    record_heartbeat(name=Heartbeat.SCAN, duration_s=0.5, processed=40, now=now - timedelta(seconds=90))
    record_heartbeat(name=Heartbeat.SCAN, duration_s=1.5, processed=2, now=now - timedelta(seconds=30))
    record_heartbeat(name=Heartbeat.DELIVERY, duration_s=0.1, processed=7, retried=2, failed=1, now=now)
    Notification.objects.create(recipient=clinician, kind="alert", dedup_key="a", created_at=now - timedelta(minutes=3))
    Notification.objects.create(recipient=clinician, kind="alert", dedup_key="b", status="sending")
    Notification.objects.create(recipient=clinician, kind="alert", dedup_key="c", status="sent")
    rule = AlertRule.objects.first()
    for n, (severity, escalated_at) in enumerate([("urgent", now), ("urgent", None), ("contact_provider", None)]):
        Alert.objects.create(
            patient=patient, rule=rule, severity=severity, message="m", dedup_key=f"t{n}", escalated_at=escalated_at
        )

    samples = scrape(anon_client)
    assert 29 <= value(samples, "aftercare_scan_lag_seconds") < 60
    assert value(samples, "aftercare_scan_duration_seconds_count") == 2
    assert value(samples, "aftercare_scan_duration_seconds_sum") == 2.0
    assert value(samples, "aftercare_scan_last_duration_seconds") == 1.5
    assert value(samples, "aftercare_scan_entries_evaluated_total") == 42
    assert value(samples, "aftercare_outbox_sent_total") == 7
    assert value(samples, "aftercare_outbox_retried_total") == 2
    assert value(samples, "aftercare_outbox_failed_total") == 1
    assert value(samples, "aftercare_outbox_pending") == 2
    assert 180 <= value(samples, "aftercare_outbox_oldest_pending_age_seconds") < 200
    assert value(samples, "aftercare_pipeline_on_time") == 1
    assert value(samples, "aftercare_alerts_raised_total", severity="urgent") == 2
    assert value(samples, "aftercare_alerts_raised_total", severity="contact_provider") == 1
    assert value(samples, "aftercare_alerts_raised_total", severity="info") == 0
    assert value(samples, "aftercare_alert_escalations_total") == 1
    assert Alert.objects.count() == 3


def test_no_label_carries_a_patient_identifier(anon_client, token, client_for, patient, clinician):
    """Every label value is a route name, a method, a status code, a severity or a
    bucket bound, whatever URLs the callers used."""
    client = client_for(patient.user)
    client.get(f"/api/v1/patients/{patient.pk}/")
    client.get(f"/api/v1/patients/{patient.pk}/symptoms/")
    client.get(f"/patients/{patient.pk}/")
    client_for(clinician).get(f"/patients/{patient.pk}/")
    client.get(f"/no-such-page/{patient.pk}/{patient.user.email}/")
    client.get(f"/api/v1/patients/{patient.pk + 1000}/")
    samples = scrape(anon_client)

    routes = {pattern for pattern in _route_names()} | {"unmatched", "static"}
    # The counters live as long as the test process: other tests' own URL maps
    # (pytest.mark.urls) leave their views' names too.
    routes |= _route_names("tests.portal.urls_health_data")
    allowed = {
        "route": routes,
        "method": {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
        "severity": {"info", "contact_provider", "urgent"},
    }
    secrets = {patient.user.email, patient.user.first_name, patient.user.last_name}
    checked = 0
    for sample in samples:
        for label, text in sample.labels.items():
            checked += 1
            assert not any(secret in text for secret in secrets), (sample.name, label, text)
            if label == "status":
                assert text.isdigit() and len(text) == 3, (sample.name, text)
            elif label in ("le", "quantile"):
                float(text)
            elif label in allowed:
                assert text in allowed[label], (sample.name, label, text)
            else:
                pytest.fail(f"unexpected label {label}={text!r} on {sample.name}")
    assert checked > 10


def _route_names(urlconf: str | None = None) -> set[str]:
    """Every URL pattern's view name, as ``resolver_match.view_name`` gives it."""
    names: set[str] = set()

    def walk(resolver, namespace: str = "") -> None:
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner)
            else:
                # As Django's ResolverMatch names an unnamed class-based view: by its class.
                callback = getattr(pattern.callback, "view_class", pattern.callback)
                default = f"{callback.__module__}.{getattr(callback, '__name__', type(callback).__name__)}"
                names.add(f"{namespace}{pattern.name or default}")

    walk(get_resolver(urlconf))
    return names


def test_several_web_processes_are_summed(tmp_path):
    """gunicorn's workers are processes: with the folder gunicorn.conf.py sets, each
    writes its counts there and any of them reports the sum."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    observe = (
        "import django; django.setup(); from portal.operations.metrics import observe_request; "
        "[observe_request(route='dashboard', method='GET', status=200, duration_s=0.02) for _ in range({n})]"
    )
    for n in (2, 3):
        subprocess.run([sys.executable, "-c", observe.format(n=n)], env=env, check=True, timeout=60)
    report = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from portal.operations.metrics import web_exposition; "
            "print(web_exposition().decode())",
        ],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    samples = [s for f in text_string_to_metric_families(report) for s in f.samples]
    assert value(samples, "aftercare_http_requests_total", route="dashboard", status="200") == 5
    assert value(samples, "aftercare_http_request_duration_seconds_count", route="dashboard") == 5


def test_the_documented_scrape_and_alert_rules_name_real_metrics(anon_client, token):
    """ops/prometheus/: the scrape sends the bearer token, and both alert rules read
    figures /metrics serves."""
    import re
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[2] / "ops" / "prometheus"
    scrape_config = yaml.safe_load((folder / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape_config["metrics_path"] == "/metrics"
    assert scrape_config["authorization"]["type"] == "Bearer"
    rules = yaml.safe_load((folder / "aftercare-rules.yml").read_text())["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} == {"AftercareReadinessFailing", "AftercareOutboxStuck"}
    served = {sample.name for sample in scrape(anon_client)}
    for rule in rules:
        for name in re.findall(r"aftercare_\w+", rule["expr"]):
            assert name in served, (rule["alert"], name)
