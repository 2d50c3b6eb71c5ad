"""The one helper every app calls to write an audit event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from portal.audit.models import AuditEvent
from portal.client_ip import ForwardedForError, client_ip, current_client_ip


def client_ip_of(request: HttpRequest | None) -> str | None:
    """The client address to record: the request's (as ``ClientIPMiddleware`` read
    it, from the trusted proxies' X-Forwarded-For entries), else that of the
    request under way, for services called without one (writes); None outside a
    request."""
    if request is None:
        return current_client_ip()
    http_request = getattr(request, "_request", request)  # DRF wraps Django's request
    if hasattr(http_request, "client_ip"):
        return http_request.client_ip
    try:
        return client_ip(http_request)
    except ForwardedForError:
        return None  # never stored verbatim; the middleware answers such a request 400


def record_audit(
    *,
    actor: Any,
    action: str,
    patient_id: int | None = None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
    role: str = "",
) -> AuditEvent:
    """Append one event. ``obj`` names the object (type and id); never its content.
    ``detail`` is a short, health-data-free note (a role change: "patient -> clinician").
    ``role`` is for an act of no person (a lab system's: "integration", with ``detail``
    naming it); a person's role is read from ``actor``."""
    event = _event(actor, action, patient_id, obj=obj, ip=client_ip_of(request), detail=detail, role=role)
    event.save(force_insert=True)
    return event


def _event(
    actor: Any,
    action: str,
    patient_id: int | None,
    *,
    ip: str | None,
    obj: models.Model | None = None,
    detail: str = "",
    role: str = "",
) -> AuditEvent:
    """An unsaved event: the actor (None unless signed in) with their role (else
    ``role``), the object named by type and id."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=actor,
        role=getattr(actor, "role", "") or role,
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        detail=detail,
    )


def audit_read(
    *,
    user: Any,
    patient_id: int,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    action: str = "patient.read",
) -> AuditEvent | None:
    """Record a read of health data, unless the reader is the patient themselves.

    One request is one read of a patient's record, however many parts of the page
    (the chart's panels, for example) look at it: the first records it, the others
    are the same read. Downloads and changes are recorded by ``record_audit`` each time.
    """
    if not _reads_to_record(user, [patient_id], request):
        return None
    return record_audit(actor=user, action=action, patient_id=patient_id, obj=obj, request=request)


def audit_reads(
    *,
    user: Any,
    patient_ids: Iterable[int],
    request: HttpRequest | None = None,
    action: str = "patient.read",
) -> list[AuditEvent]:
    """``audit_read`` for several patients at once (a page that shows something of
    each): the same events, one in each patient's access log, written with one INSERT."""
    wanted = _reads_to_record(user, patient_ids, request)
    if not wanted:
        return []
    ip = client_ip_of(request)
    return AuditEvent.objects.bulk_create([_event(user, action, pid, ip=ip) for pid in wanted])


def _reads_to_record(user: Any, patient_ids: Iterable[int], request: HttpRequest | None) -> list[int]:
    """The patients whose read is not recorded yet: never the reader's own record, and
    once per request (marked as recorded here)."""
    wanted = sorted(set(patient_ids))
    if not wanted:
        return []
    # ``user.patient`` is the patients app's one-to-one; a missing one is an AttributeError.
    own_patient = getattr(user, "patient", None)
    if own_patient is not None:
        wanted = [pid for pid in wanted if pid != own_patient.pk]
    if request is not None:
        http_request = getattr(request, "_request", request)  # DRF wraps Django's request
        seen = http_request.__dict__.setdefault("_aftercare_reads_audited", set())
        reader = getattr(user, "pk", None)
        wanted = [pid for pid in wanted if (reader, pid) not in seen]
        seen.update((reader, pid) for pid in wanted)
    return wanted
