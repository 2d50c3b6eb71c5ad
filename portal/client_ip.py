"""The client's IP address, for the audit log and allauth's rate limits.

``X-Forwarded-For`` is written by whoever sends the request: only the entries the
deployment's own proxies appended can be believed. With
``AFTERCARE_TRUSTED_PROXIES = N`` (default 0), the client is:

- N = 0: the socket's address (``REMOTE_ADDR``); the header is ignored;
- N > 0: the N-th entry from the right of ``X-Forwarded-For`` (each trusted proxy
  appends the address it was connected from); without the header (a health check
  from inside, straight to the app) the socket's address.

A header with fewer than N entries, or an entry there that is not an IP address,
cannot have come through the deployment's proxies: the request gets 400, and the
value is never stored. ``ClientIPMiddleware`` reads the address once per request
and keeps it for the audit events written during the request (writes included),
through ``current_client_ip``.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from portal.middleware import refusal

_current: ContextVar[str | None] = ContextVar("aftercare_client_ip", default=None)

MALFORMED = "The X-Forwarded-For header is malformed."


class ForwardedForError(ValueError):
    """X-Forwarded-For does not have the shape the trusted proxies give it."""


def _parse_ip(text: str) -> str:
    """An IP address, with the port some proxies add ("203.0.113.9:5123",
    "[2001:db8::1]:443") taken off; ValueError for anything else."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    return str(ipaddress.ip_address(text))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (see the module's docstring); raises
    ``ForwardedForError`` for a header the trusted proxies cannot have written."""
    proxies = settings.AFTERCARE_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        entries = forwarded.split(",")
        if len(entries) < proxies:
            raise ForwardedForError(MALFORMED)
        try:
            return _parse_ip(entries[-proxies])
        except ValueError as exc:
            raise ForwardedForError(MALFORMED) from exc
    try:
        return _parse_ip(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return None


def current_client_ip() -> str | None:
    """The client address of the request under way (None outside a request: a
    Celery task, a management command)."""
    return _current.get()


class ClientIPMiddleware:
    """Reads the client's address once, refuses a forged-looking header with 400,
    and keeps the address for the rest of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            ip = client_ip(request)
        except ForwardedForError:
            return refusal(request, 400, MALFORMED)
        request.client_ip = ip
        token = _current.set(ip)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
