"""The reads of health data already recorded during the request under way."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse


class AuditedReads:
    """The (reader, patient) reads recorded during one request: a page made of several
    parts (a chart and its panels, a list and a detail) is one read of each patient."""

    def __init__(self) -> None:
        self._recorded: set[tuple[int | None, int]] = set()

    def not_yet_recorded(self, reader_id: int | None, patient_ids: Iterable[int]) -> list[int]:
        """The patients of ``patient_ids`` this reader's read is not recorded for yet,
        now counted as recorded (the caller records them)."""
        fresh = [pid for pid in patient_ids if (reader_id, pid) not in self._recorded]
        self._recorded.update((reader_id, pid) for pid in fresh)
        return fresh


class AuditedReadsMiddleware:
    """Gives each request its own ``request.audited_reads`` (``portal.audit.services.
    audit_read`` consults it), so nothing is kept from one request to the next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.audited_reads = AuditedReads()  # type: ignore[attr-defined]
        return self.get_response(request)
