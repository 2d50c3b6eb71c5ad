"""The report file on its way in: kept in memory, bounded, and checked by content.

A lab report's plaintext must never touch disk. Django spools uploads larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file, so the upload views replace
the handlers with ``BoundedMemoryUploadHandler``: everything stays in memory, and
a file past the limit is skipped (its bytes read and dropped), never buffered.

The type is decided by the bytes, never by the client's name or header: a PDF by
its signature (the pinned ``filetype`` package), plain text by a strict UTF-8
decode with no NUL bytes. Anything else is refused.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

PDF = "application/pdf"
TEXT = "text/plain"
EXTENSIONS = {PDF: ".pdf", TEXT: ".txt"}


def max_upload_bytes() -> int:
    return int(getattr(settings, "AFTERCARE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def size_label(limit: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size:
            return f"{limit / size:g} {unit}"
    return f"{limit} bytes"


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory; skips a file larger than ``limit``.

    ``oversized`` names the fields whose file was skipped, so the view can say
    "larger than 10 MB" rather than "no file".
    """

    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else max_upload_bytes()
        self.oversized: set[str] = set()
        self._buffer: io.BytesIO | None = None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self._buffer is not None
        if self._buffer.tell() + len(raw_data) > self.limit:
            self.oversized.add(self.field_name)
            self._buffer = io.BytesIO()
            raise SkipFile
        self._buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self._buffer is None:
            return None
        self._buffer.seek(0)
        return InMemoryUploadedFile(
            file=self._buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    name: str  # a safe display name whose extension matches the content


def detect_content_type(content: bytes) -> str | None:
    """ "application/pdf", "text/plain", or None for anything else."""
    kind = filetype.guess(content)
    if kind is not None:
        return PDF if kind.mime == PDF else None
    if b"\x00" in content:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_name(original: str, content_type: str) -> str:
    """The uploaded name, reduced to harmless characters, with the right extension."""
    base = (original or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:120] or "lab-report"
    return stem + EXTENSIONS[content_type]


def check_report_file(content: bytes | None, *, original_name: str = "", oversized: bool = False) -> CheckedFile:
    limit = max_upload_bytes()
    if oversized or (content is not None and len(content) > limit):
        raise ValidationError({"file": [f"The file is larger than {size_label(limit)}."]})
    if content is None:
        raise ValidationError({"file": ["No file was submitted."]})
    if not content:
        raise ValidationError({"file": ["The file is empty."]})
    content_type = detect_content_type(content)
    if content_type is None:
        raise ValidationError({"file": ["Upload a PDF or a plain-text (UTF-8) file; this file is neither."]})
    return CheckedFile(content=content, content_type=content_type, name=safe_name(original_name, content_type))


def read_uploaded(uploaded) -> bytes | None:
    if uploaded is None:
        return None
    uploaded.seek(0)
    return uploaded.read()
