"""Two middlewares of the operations app.

``RequestObservabilityMiddleware`` (first in the list): the request id, one JSON log
line and the request metrics per request, timed around everything else.

``PipelineBannerMiddleware`` (after authentication): on a clinician's or admin's page
view, the web process checks the pipeline (one query) and, when alerts are late,
puts the banner on the page and makes sure the incident is open and the on-call
address told (``watch_pipeline``): a path that needs neither beat nor worker.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import DatabaseError

from portal.operations.logs import current_request_id, log_request, request_id_from
from portal.operations.metrics import observe_request
from portal.operations.pipeline import pipeline_status, watch_pipeline

STAFF_ROLES = ("clinician", "admin")
# Not pages: the API answers apps (which show their own state), assets, probes.
NOT_PAGES = ("/api/", "/_allauth/", "/static/", "/healthz", "/readyz", "/metrics")


def route_name(request) -> str:
    """The URL pattern's name, never the path (paths hold ids)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


def user_role(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return getattr(user, "role", "") or "unknown"


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            duration = time.perf_counter() - started
            route = route_name(request)
            observe_request(route=route, method=request.method, status=status, duration_s=duration)
            log_request(
                route=route,
                method=request.method,
                status=status,
                duration_s=duration,
                role=user_role(request),
                request_id=request_id,
            )
            current_request_id.reset(token)


class PipelineBannerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.pipeline_delay = ""
        if settings.AFTERCARE_PIPELINE_PAGE_CHECK and self._is_staff_page(request):
            try:
                status = pipeline_status()
                if status.needs_watch():
                    watch_pipeline(status=status)
            except DatabaseError:
                status = None  # the page itself will say what it can; /readyz reports the database
            if status is not None and status.delayed:
                request.pipeline_delay = status.delay_sentence()
        return self.get_response(request)

    @staticmethod
    def _is_staff_page(request) -> bool:
        if request.method != "GET" or request.path.startswith(NOT_PAGES):
            return False
        if getattr(request, "htmx", False):
            return False  # a partial of a page that had its check
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        return getattr(user, "role", None) in STAFF_ROLES or user.is_staff
