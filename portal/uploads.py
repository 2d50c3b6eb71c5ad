"""Uploads never touch disk in plaintext.

Django's default handlers keep an upload in memory only while the whole request
is under ``FILE_UPLOAD_MAX_MEMORY_SIZE`` and spool anything larger to a temporary
file, in clear: a message with a few photos did exactly that. Here the only
handler is ``MemoryOnlyUploadHandler``: every upload stays in memory, and the
request body is bounded (``AFTERCARE_MAX_REQUEST_BYTES``; a larger one gets 413
from ``portal.middleware.RequestBodyLimitMiddleware`` before it is read). The lab
upload views bound each file further (``labs.uploads``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, StopUpload


class MemoryOnlyUploadHandler(MemoryFileUploadHandler):
    """Django's in-memory handler, active for every request, with nothing after it
    that could write to disk; it stops reading past the body limit (a request that
    under-declared its length)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.AFTERCARE_MAX_REQUEST_BYTES:
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
