from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.defaults import page_not_found, server_error


def refusal(request, status: int, message: str, *, fhir_code: str = "invalid") -> HttpResponse:
    """A refusal before any view runs, in the shape of the interface asked: the JSON
    API's ``non_field_errors``, the FHIR API's OperationOutcome (interop/), else text."""
    if request.path.startswith("/api/"):
        return JsonResponse({"non_field_errors": [message]}, status=status)
    if request.path.startswith("/fhir/"):
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": fhir_code, "diagnostics": message}],
        }
        return JsonResponse(outcome, status=status, content_type="application/fhir+json; charset=utf-8")
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """Pages and API responses for a signed-in user may hold health data:
    never cache them (browser back button on a shared computer, proxies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/static/") and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class RefuseNulCharactersMiddleware:
    """A NUL character is in no name, note or id, and PostgreSQL refuses it in any
    text comparison or column (an error, so a 500). Refuse it up front with a 400:
    in the query string of every request, and in urlencoded form bodies (multipart
    bodies are left to the views' forms, whose upload handlers must come first;
    API bodies are checked by portal.parsers)."""

    MESSAGE = "Text may not contain NUL characters."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        refused = "%00" in query or "\x00" in query
        if not refused and request.content_type == "application/x-www-form-urlencoded":
            refused = any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists()
            )
        if refused:
            return refusal(request, 400, self.MESSAGE)
        return self.get_response(request)


class RequestBodyLimitMiddleware:
    """A request body larger than ``AFTERCARE_MAX_REQUEST_BYTES`` gets 413 before a
    byte of it is read (uploads are kept in memory: portal.uploads)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.AFTERCARE_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return refusal(request, 400, "The Content-Length header is not a number.")
        if length > limit:
            megabytes = limit // (1024 * 1024)
            message = f"The request is too large: at most {megabytes} MB in all."
            return refusal(request, 413, message, fhir_code="too-costly")
        return self.get_response(request)


class ReaderTimeZoneMiddleware:
    """Every time on a page in the reader's own time zone (DESIGN.md: stored in UTC,
    shown in the user's zone). With the zone active for the whole request, every
    ``|date`` and the ``reader_time`` filter (portal/templatetags/reader_time.py) agree,
    including what the base template draws outside a page's content (the day banner):
    a procedure at 01:08 UTC is on 2 Dec for a reader in New York on every page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        try:
            reader_zone = zoneinfo.ZoneInfo(zone) if zone else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            reader_zone = None  # a zone since removed from the database: UTC, as before
        if reader_zone is None:
            return self.get_response(request)
        with timezone.override(reader_zone):
            return self.get_response(request)


class FriendlyErrorPagesMiddleware:
    """With DJANGO_DEBUG on (``make run``) Django answers a missing page with its yellow
    debug page, listing every URL of the portal, and an error with a traceback and
    settings. Unless a developer asks for those (DJANGO_DEBUG_PAGES=true), the portal's
    own 404 and 500 pages are shown instead, as in production. Off without debug:
    Django's handlers already use 404.html and 500.html then."""

    def __init__(self, get_response):
        if not settings.DEBUG or getattr(settings, "DJANGO_DEBUG_PAGES", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code not in (404, 500) or request.path.startswith(("/api/", "/fhir/", "/static/")):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if response.status_code == 404:
            return page_not_found(request, Http404())
        return server_error(request)
