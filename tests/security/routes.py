"""Every URL the project serves, with its methods, from the URL resolver and the
OpenAPI schema. The permission matrix must name each of them.

A route is named by its pattern as written (``api/v1/patients/<int:patient_id>/``,
allauth's regexes as they are). Methods:

- DRF views and class-based views: the handlers the class implements;
- plain view functions (the portal's pages): GET and POST, whatever the view does
  with them (a page that ignores POST must still be safe when it receives one);
- Django admin's per-model pages: GET (the admin's own rules apply to writes; the
  audit log's refusals are tested in test_audit_completeness.py), and POST where
  the table checks the admin's writes themselves (``ADMIN_WRITES``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

HANDLERS = ("get", "post", "put", "patch", "delete")
# Admin pages whose POST is in the table too: the admin who edits a clinician's
# authenticator (copying another's sealed secret into it) must be refused.
ADMIN_WRITES = (
    "admin/mfa/authenticator/add/",
    "admin/mfa/authenticator/<path:object_id>/change/",
    "admin/mfa/authenticator/<path:object_id>/delete/",
)


@dataclass(frozen=True)
class Route:
    route: str  # pattern as written, without the leading slash
    lookup: str  # dotted name of the view
    methods: tuple[str, ...]  # upper case
    params: tuple[str, ...]  # named path parameters, in order


def _view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _methods(route: str, callback) -> tuple[str, ...]:
    if route.startswith("admin/"):
        return ("GET", "POST") if route in ADMIN_WRITES else ("GET",)
    cls = _view_class(callback)
    if cls is None:
        return ("GET", "POST")
    names = [name for name in HANDLERS if callable(getattr(cls, name, None))]
    if issubclass(cls, APIView):
        # DRF answers every name in http_method_names; only implemented handlers count.
        names = [name for name in names if name in cls.http_method_names]
    return tuple(name.upper() for name in names)


def _params(text: str) -> tuple[str, ...]:
    return tuple(a or b for a, b in re.findall(r"<(?:[^>:]+:)?(\w+)>|\(\?P<(\w+)>", text))


def _walk(patterns, prefix: str = "") -> list[Route]:
    found = []
    for entry in patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, text)
        elif isinstance(entry, URLPattern):
            found.append(
                Route(route=text, lookup=entry.lookup_str, methods=_methods(text, entry.callback), params=_params(text))
            )
    return found


@cache
def resolver_routes() -> tuple[Route, ...]:
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        routes.setdefault(route.route, route)  # the first pattern wins, as in the resolver
    return tuple(routes.values())


def shape(route: str) -> str:
    """A route with its parameters blanked: ``api/v1/lab-reports/{}/`` for both the
    resolver's ``<int:pk>`` and the schema's ``{id}``."""
    return re.sub(r"<[^>]+>|\{\w+\}", "{}", route.lstrip("/"))


def schema_route(path: str) -> str:
    """The resolver route of a schema path (``/api/v1/lab-reports/{id}/`` ->
    ``api/v1/lab-reports/<int:pk>/``); a path no route matches stays as it is."""
    by_shape = {shape(route.route): route.route for route in resolver_routes()}
    return by_shape.get(shape(path), path.lstrip("/"))


@cache
def schema_operations() -> tuple[tuple[str, str], ...]:
    """(METHOD, route) of every operation in the generated OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in HANDLERS:
                operations.append((method.upper(), schema_route(path)))
    return tuple(sorted(operations))


def required_keys() -> set[tuple[str, str]]:
    """Every (METHOD, route) the table must have a row for."""
    keys = {(method, route.route) for route in resolver_routes() for method in route.methods}
    keys |= set(schema_operations())
    return keys
