"""API plumbing shared by every app: pagination and the error shapes of API.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, QueryDict
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """DRF silently falls back to the default for a page size that is not a
        number; API.md says bad input is a 400 naming the field."""
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:  # left out, or sent empty as an HTML GET form does
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError({"page_size": [f"Use a whole number from 1 to {self.max_page_size}."]})
        return min(size, self.max_page_size)


def django_validation_error_as_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's 400 shape: {"field": ["message"]}."""
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {"non_field_errors": [str(m) for m in exc.messages]}
    return exceptions.ValidationError(detail)


def request_body(request: Request) -> Mapping[str, Any]:
    """The request's values as sent (a JSON object, or a form's fields), for a
    service to validate; anything else (a JSON list, a number) is a 400."""
    data = request.data
    if not isinstance(data, Mapping):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
    return data


def listed(data: Mapping[str, Any], name: str) -> Any:
    """A list field as sent: a JSON value as it is, or every value a form repeats
    under the name (``ids=1&ids=2``)."""
    if isinstance(data, QueryDict):
        return data.getlist(name) if name in data else None
    return data.get(name)


def exception_handler(exc, context):
    """DRF's handler plus: service ValidationErrors become 400s with their fields;
    a 403 carries its machine-readable ``code`` (``mfa_required``); a body that is
    not valid JSON is a 400 under ``non_field_errors``. Nothing here echoes input."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error_as_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        response.data = {"non_field_errors": [str(exc.detail)]}
    elif isinstance(exc, exceptions.PermissionDenied) and isinstance(response.data, dict):
        codes = exc.get_codes()
        if isinstance(codes, str):
            response.data["code"] = codes
    return response


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def detail(message: str, status: int = 200) -> Response:
    return Response({"detail": message}, status=status)
