"""Structured logs: one JSON line per request and per Celery task.

A request line (logger ``aftercare.request``): the route's name (never the path,
which holds ids), method, status, duration, the user's role and the request id. A
task line (logger ``aftercare.task``): the task's name, id, outcome, duration and the
request id of the request that queued it, carried in the task message's headers.
Nothing else: no path, query string, body, user id, name or address, so no health
data can reach these lines (tests/security/test_phi_canaries.py reads them).

The request id is the caller's ``X-Request-ID`` when it is a plain token (a proxy's),
else a new one; it is sent back in the response's ``X-Request-ID``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "aftercare_request_id"  # in a task message's headers
_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_logger = logging.getLogger("aftercare.request")
task_logger = logging.getLogger("aftercare.task")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("aftercare_request_id", default=None)


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a plain token, else a fresh one (never echo free text)."""
    if header and _REQUEST_ID_SHAPE.match(header):
        return header
    return uuid.uuid4().hex


class JsonLines(JsonFormatter):
    """python-json-logger's formatter with the fields every line carries."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)


def log_request(*, route: str, method: str, status: int, duration_s: float, role: str, request_id: str) -> None:
    request_logger.info(
        "request",
        extra={
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(duration_s * 1000, 1),
            "role": role,
            "request_id": request_id,
        },
    )


# --- Celery: the request id travels in the message headers; one line per task -----------------

_started: dict[str, float] = {}


def _on_publish(sender=None, headers=None, **kwargs) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers[REQUEST_ID_HEADER] = request_id


def _on_prerun(sender=None, task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.monotonic()
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    current_request_id.set(request_id)


def _on_postrun(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    duration = time.monotonic() - started if started is not None else 0.0
    task_logger.info(
        "task",
        extra={
            "task": getattr(task, "name", str(sender)),
            "task_id": task_id,
            "state": state or "UNKNOWN",
            "duration_ms": round(duration * 1000, 1),
            "request_id": current_request_id.get(),
        },
    )
    current_request_id.set(None)


def connect_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(_on_publish, weak=False, dispatch_uid="aftercare-request-id")
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="aftercare-task-start")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="aftercare-task-line")
