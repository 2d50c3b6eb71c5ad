"""Values worked out once per request: the clinic's settings for a page's texts, the
day banner, a clinician's inbox counts. Each is one query, asked for by several parts
of a page (the navigation, a panel, a template tag) that know nothing of each other.

``RequestScopeMiddleware`` opens a fresh scope for each request and closes it at the
end, so nothing is kept from one request to the next and nothing is written onto the
request or the user. Outside a request (a task, a command, a test calling a function)
there is no scope and every call works its value out afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_scope: ContextVar[dict[Hashable, Any] | None] = ContextVar("aftercare_request_scope", default=None)


def once_per_request(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, worked out at most once in the request under way for ``key``
    (which names what it is and whose: ``("inbox_counts", user.pk)``)."""
    scope = _scope.get()
    if scope is None:
        return compute()
    if key not in scope:
        scope[key] = compute()
    value: T = scope[key]
    return value


class RequestScopeMiddleware:
    """Opens the scope of ``once_per_request`` for each request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _scope.set({})
        try:
            return self.get_response(request)
        finally:
            _scope.reset(token)
