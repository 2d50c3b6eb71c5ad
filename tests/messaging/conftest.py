"""Messaging fixtures: a thread Avery (``patient``) started, and small files whose
type is known by content."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging import services

# Just enough of each format for content sniffing (``filetype`` reads the magic bytes).
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def thread(patient, clinician):
    """Avery wrote to the care team (``clinician`` is on it)."""
    return services.start_thread(author=patient.user, subject="Question", body="Hello, a question about my recovery.")


@pytest.fixture
def other_thread(other_patient):
    return services.start_thread(author=other_patient.user, subject="Other", body="Someone else's message.")


@pytest.fixture
def attachment(thread, patient):
    message = services.post_message(
        author=patient.user, thread=thread, body="Photo attached.", attachments=[upload("site.png", PNG, "image/png")]
    )
    return message.attachments.get()
