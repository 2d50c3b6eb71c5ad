"""Uploads never touch disk in plaintext, and the request body is bounded.

Before: a message whose attachments together passed the 11 MB in-memory limit was
spooled to the temporary folder, in clear (Django's TemporaryFileUploadHandler);
and nothing bounded the whole request body. Now uploads stay in memory whatever
their size, and a body over ``AFTERCARE_MAX_REQUEST_BYTES`` gets 413 before it is
read; a Content-Length that is not a number gets 400. Never a 500.
"""

from __future__ import annotations

import pytest
from django.core.files import uploadedfile

from messaging.models import Attachment, Message
from tests.messaging.conftest import PNG, upload

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def spooled(monkeypatch):
    """Every temporary upload file Django opens (a spy: the real class still runs)."""
    opened = []
    real_init = uploadedfile.TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):
        opened.append(args[0] if args else kwargs.get("name"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", spy)
    return opened


def photo(name: str, megabytes: float):
    return upload(name, PNG + b"\0" * int(megabytes * MB))


def test_attachments_past_the_old_memory_limit_stay_in_memory(client_for, patient, clinician, spooled):
    response = client_for(patient.user).post(
        "/api/v1/threads/",
        {"body": "Three photos of the site.", "attachments": [photo(f"site{n}.png", 4.5) for n in range(3)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content[:300]
    assert Attachment.objects.count() == 3
    assert spooled == []  # before: all three written to the temporary folder in clear


def test_the_upload_handlers_write_nothing_to_disk(settings):
    assert settings.FILE_UPLOAD_HANDLERS == ["portal.uploads.MemoryOnlyUploadHandler"]
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= settings.AFTERCARE_MAX_REQUEST_BYTES


def test_an_oversized_body_is_a_413_and_nothing_is_saved(client_for, patient, clinician, settings, spooled):
    settings.AFTERCARE_MAX_REQUEST_BYTES = 1 * MB
    client = client_for(patient.user)
    response = client.post(
        "/api/v1/threads/", {"body": "Big photo.", "attachments": [photo("big.png", 1.5)]}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json() == {"non_field_errors": ["The request is too large: at most 1 MB in all."]}
    page = client.post("/messages/", {"new-body": "Big photo.", "new-attachments": photo("big.png", 1.5)})
    assert page.status_code == 413
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert spooled == []


def test_a_content_length_that_is_not_a_number_is_a_400(client_for, patient):
    response = client_for(patient.user).post(
        "/api/v1/threads/", {"body": "Hello"}, format="json", CONTENT_LENGTH="lots"
    )
    assert response.status_code == 400
