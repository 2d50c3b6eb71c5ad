"""``/readyz`` and ``/metrics`` (API.md, Operations). Neither needs a session, and
neither answers anything about a patient."""

from __future__ import annotations

import dataclasses
import hmac

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from portal.operations.metrics import exposition
from portal.operations.pipeline import pipeline_status, watch_pipeline


def broker_answers() -> bool:
    """One connection to the broker, given two seconds; no message is sent."""
    from portal.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:
        return False
    return True


@never_cache
def readyz(request):
    """200 while the alert pipeline is on time, else 503 (API.md). Whoever asks also
    notices: a change of state opens or clears the incident (``watch_pipeline``)."""
    try:
        status = pipeline_status()
    except DatabaseError:
        body = {
            "database": False,
            "broker": broker_answers(),
            "scan": {"last_run_at": None, "age_s": None, "ok": False},
            "outbox": {"oldest_pending_age_s": None, "failed_24h": None, "ok": False},
            "ok": False,
        }
        return JsonResponse(body, status=503)
    status = dataclasses.replace(status, broker=broker_answers())
    if status.needs_watch():
        watch_pipeline(status=status)
    return JsonResponse(status.as_json(), status=200 if status.ok else 503)


@never_cache
def metrics(request):
    """Prometheus text format, only with ``Authorization: Bearer <AFTERCARE_METRICS_TOKEN>``.

    404 while no token is set (the endpoint does not exist); 401 for a missing or
    wrong token, compared in constant time."""
    token = settings.AFTERCARE_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
