"""``/metrics``: Prometheus text format, with prometheus_client.

Two kinds of figures, each where it stays true with many processes:

* **What a web process sees** (requests by route name, their latency, failed
  sign-ins): prometheus_client counters and a histogram in the process. Under
  gunicorn every worker is its own process; ``gunicorn.conf.py`` gives them a
  shared ``PROMETHEUS_MULTIPROC_DIR`` (wiped when gunicorn starts), and the view
  sums the workers' files with ``MultiProcessCollector``, so a scrape that lands on
  any worker reports the whole web container.
* **What the pipeline did** (scan duration, lag, entries evaluated, outbox sent,
  retried, failed and waiting, alerts by severity, escalations): read from the
  database at scrape time. Celery runs on other processes, containers and machines
  that no web process can reach; their heartbeat rows (``Heartbeat``: running totals
  updated by each run) and the clinical rows are the one place every worker writes
  to. Totals there survive restarts, so the counters never go back.

Apps above portal add their own figures through ``register_metrics_source`` (the
alerts app counts its alerts), as ``portal.sealed`` does for sealed columns.

No label carries a patient identifier: routes are URL pattern names, never paths;
the only other labels are methods, status codes, severities and statuses.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from django.contrib.auth.signals import user_login_failed
from django.db.models import Count
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from portal.operations.models import Heartbeat
from portal.operations.pipeline import WAITING, pipeline_status
from portal.outbox.models import Notification

# This process's own figures (not prometheus_client's default registry, whose process
# and garbage-collector figures would describe one gunicorn worker among several).
WEB = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "aftercare_http_requests",
    "HTTP requests answered, by URL pattern name, method and status.",
    ["route", "method", "status"],
    registry=WEB,
)
LATENCY = Histogram(
    "aftercare_http_request_duration_seconds",
    "Time to answer a request, by URL pattern name and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=WEB,
)
LOGIN_FAILURES = Counter("aftercare_login_failures", "Failed sign-ins (who tried is never a label).", registry=WEB)

MetricsSource = Callable[[], Iterable[Metric]]
_SOURCES: list[MetricsSource] = []


def register_metrics_source(source: MetricsSource) -> None:
    """An app above portal adds figures read at scrape time (see alerts/apps.py)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def observe_request(*, route: str, method: str, status: int, duration_s: float) -> None:
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route, method=method).observe(duration_s)


def _count_login_failure(sender=None, **kwargs) -> None:
    LOGIN_FAILURES.inc()


def connect_signals() -> None:
    user_login_failed.connect(_count_login_failure, weak=False, dispatch_uid="aftercare-login-failures")


class PipelineCollector:
    """The pipeline's figures, read from the database when Prometheus scrapes."""

    def collect(self) -> Iterable[Metric]:
        now = timezone.now()
        status = pipeline_status(now=now)
        beats = {beat.name: beat for beat in Heartbeat.objects.all()}
        scan, delivery = beats.get(Heartbeat.SCAN), beats.get(Heartbeat.DELIVERY)

        yield _gauge(
            "aftercare_pipeline_on_time",
            "1 while the scan and the outbox are within their limits.",
            int(not status.delayed),
        )
        yield _gauge(
            "aftercare_scan_lag_seconds",
            "Seconds since the symptom scan last ran (NaN before its first run).",
            status.scan_age_s if status.scan_age_s is not None else float("nan"),
        )
        yield _gauge(
            "aftercare_scan_last_duration_seconds", "Duration of the latest scan.", scan.last_duration_s if scan else 0
        )
        duration = SummaryMetricFamily("aftercare_scan_duration_seconds", "Scan runs and their total duration.")
        duration.add_metric([], count_value=scan.runs if scan else 0, sum_value=scan.duration_s_total if scan else 0)
        yield duration
        yield _counter(
            "aftercare_scan_entries_evaluated", "Diary entries the scan evaluated.", scan.processed_total if scan else 0
        )
        yield _gauge(
            "aftercare_delivery_lag_seconds",
            "Seconds since the outbox delivery last ran (NaN before its first run).",
            (now - delivery.beat_at).total_seconds() if delivery else float("nan"),
        )
        yield _counter(
            "aftercare_outbox_sent", "Emails the SMTP server accepted.", delivery.processed_total if delivery else 0
        )
        yield _counter(
            "aftercare_outbox_retried",
            "Sending attempts that failed and were retried.",
            delivery.retried_total if delivery else 0,
        )
        yield _counter(
            "aftercare_outbox_failed",
            "Notifications given up after the last attempt.",
            delivery.failed_total if delivery else 0,
        )
        yield _gauge(
            "aftercare_outbox_pending",
            "Notifications waiting to be sent (pending or being sent).",
            Notification.objects.filter(status__in=WAITING).count(),
        )
        yield _gauge(
            "aftercare_outbox_oldest_pending_age_seconds",
            "Age of the oldest notification still waiting (0 when none waits).",
            status.oldest_pending_age_s or 0,
        )
        yield _gauge("aftercare_outbox_failed_24h", "Notifications given up in the last 24 hours.", status.failed_24h)
        for source in _SOURCES:
            yield from source()


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def counts_by(queryset, field: str) -> dict[str, int]:
    """``{value: rows}`` of one column (for sources that count rows by a label)."""
    return {row[field]: row["n"] for row in queryset.values(field).annotate(n=Count("pk")).order_by()}


def web_exposition() -> bytes:
    """The web tier's figures: this process's, or under gunicorn every worker's summed
    from their files in ``PROMETHEUS_MULTIPROC_DIR`` (set by gunicorn.conf.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        web = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(web)
    else:
        web = WEB
    return generate_latest(web)


def exposition() -> bytes:
    """The scrape's body: the web tier's figures and the pipeline's."""
    pipeline = CollectorRegistry(auto_describe=False)
    pipeline.register(PipelineCollector())
    return web_exposition() + generate_latest(pipeline)
