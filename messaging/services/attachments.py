"""Attachments: a file is checked by its content (type, size) before anything is
stored; one bad file refuses them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

MAX_ATTACHMENTS = 5
# Detected from the file's first bytes (``filetype``), never from its name.
ALLOWED_ATTACHMENT_TYPES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}
# The full signature each type must also start with: ``filetype`` matches on as
# little as three bytes ("GIF"), so a text file starting "GIF" would pass alone.
FULL_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # plus "WEBP" at offset 8, which filetype checks
    "application/pdf": (b"%PDF-",),
}


@dataclass(frozen=True)
class CheckedAttachment:
    filename: str
    content_type: str
    content: bytes


def _max_upload_bytes() -> int:
    return getattr(settings, "AFTERCARE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)


def _clean_filename(name: str, content_type: str) -> str:
    """A display name without folders or control characters, whose extension
    matches the detected type (a PNG named ``scan.pdf`` is saved as ``scan.png``)."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"/;').strip(" .") or "attachment"
    stem, dot, ext = base.rpartition(".")
    extensions = ALLOWED_ATTACHMENT_TYPES[content_type]
    if not dot or not stem:
        stem = base
    if f".{ext.lower()}" not in extensions:
        ext = extensions[0].lstrip(".")
    return f"{stem[:100]}.{ext.lower()}"


def check_attachments(uploads: Sequence[Any]) -> list[CheckedAttachment]:
    """Read and check uploaded files (``name``, ``size``, ``read()``).

    Every file must be at most 10 MB and be a PNG, JPEG, GIF, WebP image or a PDF
    judged by its content. One bad file refuses them all: nothing is stored.
    """
    uploads = list(uploads or [])
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": [f"Attach at most {MAX_ATTACHMENTS} files to one message."]})
    limit = _max_upload_bytes()
    checked = []
    for upload in uploads:
        if not callable(getattr(upload, "read", None)):
            # Text where a file belongs (a JSON body, a form field): files come as multipart.
            raise ValidationError(
                {"attachments": ["The submitted data was not a file. Check the encoding type on the form."]}
            )
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            raise ValidationError({"attachments": ["Each file must be 10 MB or smaller."]})
        content = upload.read(limit + 1)
        if len(content) > limit:
            raise ValidationError({"attachments": ["Each file must be 10 MB or smaller."]})
        if not content:
            raise ValidationError({"attachments": ["This file is empty."]})
        kind = filetype.guess(content[:8192])
        content_type = kind.mime if kind is not None else ""
        if content_type not in ALLOWED_ATTACHMENT_TYPES or not content.startswith(FULL_SIGNATURES[content_type]):
            raise ValidationError(
                {
                    "attachments": [
                        "Only images (PNG, JPEG, GIF, WebP) and PDF documents can be attached; "
                        "this file's content is none of those, whatever its name."
                    ]
                }
            )
        checked.append(
            CheckedAttachment(
                filename=_clean_filename(getattr(upload, "name", ""), content_type),
                content_type=content_type,
                content=content,
            )
        )
    return checked
