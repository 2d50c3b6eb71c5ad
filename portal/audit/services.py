"""The one helper every app calls to write an audit event."""

from __future__ import annotations

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
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        role=getattr(actor, "role", "") or role,
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip_of(request),
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
    # ``user.patient`` is the patients app's one-to-one; a missing one is an AttributeError.
    own_patient = getattr(user, "patient", None)
    if own_patient is not None and own_patient.pk == patient_id:
        return None
    if request is not None:
        http_request = getattr(request, "_request", request)  # DRF wraps Django's request
        seen = http_request.__dict__.setdefault("_aftercare_reads_audited", set())
        if (getattr(user, "pk", None), patient_id) in seen:
            return None
        seen.add((getattr(user, "pk", None), patient_id))
    return record_audit(actor=user, action=action, patient_id=patient_id, obj=obj, request=request)
