"""The API's request parsers: DRF's, refusing NUL characters in any text.

A module of its own: DRF reads DEFAULT_PARSER_CLASSES while ``rest_framework.views``
is being imported, so these must not import it (``portal.api`` does).
"""

from __future__ import annotations

from django.http import QueryDict
from rest_framework import exceptions, parsers


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


class RefuseNulCharacters:
    """A parser mixin: a NUL character in any text of a request body is a 400
    (PostgreSQL refuses it in any text column or comparison: it was a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = getattr(parsed, "data", parsed)  # multipart: DataAndFiles
        if isinstance(data, QueryDict):
            data = dict(data.lists())
        if _has_nul(data):
            raise exceptions.ParseError("Text may not contain NUL characters.")
        return parsed


class JSONParser(RefuseNulCharacters, parsers.JSONParser):
    pass


class FormParser(RefuseNulCharacters, parsers.FormParser):
    pass


class MultiPartParser(RefuseNulCharacters, parsers.MultiPartParser):
    pass
