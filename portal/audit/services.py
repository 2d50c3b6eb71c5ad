"""The one helper every app calls to write an audit event."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest
from rest_framework.request import Request

from portal.accounts.models import Role, User
from portal.audit.middleware import AuditedReads
from portal.audit.models import AuditEvent
from portal.client_ip import ForwardedForError, client_ip, current_client_ip

# Who acts: a signed-in user, or nobody (a visitor's request, a task, a lab system).
Actor = User | AnonymousUser | None


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    """Django's request, also behind DRF's wrapper."""
    return request._request if isinstance(request, Request) else request


def client_ip_of(request: HttpRequest | Request | None) -> str | None:
    """The client address to record: the request's (as ``ClientIPMiddleware`` read
    it, from the trusted proxies' X-Forwarded-For entries), else that of the
    request under way, for services called without one (writes); None outside a
    request."""
    if request is None:
        return current_client_ip()
    http_request = _django_request(request)
    if hasattr(http_request, "client_ip"):  # ClientIPMiddleware's reading
        recorded: str | None = http_request.client_ip
        return recorded
    try:
        return client_ip(http_request)
    except ForwardedForError:
        return None  # never stored verbatim; the middleware answers such a request 400


def record_audit(
    *,
    actor: Actor,
    action: str,
    patient_id: int | None = None,
    obj: models.Model | None = None,
    request: HttpRequest | Request | None = None,
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
    actor: Actor,
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
    person = actor if isinstance(actor, User) and actor.is_authenticated else None
    return AuditEvent(
        actor=person,
        role=(person.role if person is not None else "") or role,
        action=action,
        patient_id=patient_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        detail=detail,
    )


def audit_read(
    *,
    user: Actor,
    action: str = "patient.read",
    request: HttpRequest | Request | None = None,
    patient_id: int | None = None,
    obj: models.Model | None = None,
    patient_ids: Iterable[int] = (),
    patients: Iterable[models.Model] = (),
    details: dict[int, str] | None = None,
) -> list[AuditEvent]:
    """Record a read of health data: every read, of one record or of a list, is
    recorded here, the same way.

    - One record: ``patient_id``, and the object read (``obj``) when there is one.
    - A list: ``patient_ids``, each patient whose data the page shows; or, for a list
      of patients, ``patients`` (each event then names its patient as the object).
      ``details``: what else of a patient the list showed, by id only (the inbox's
      message previews: "previewed messages 12, 15").

    One event per patient, all in one INSERT; never for the reader's own record; once
    per patient in one request (``request.audited_reads``, from
    ``AuditedReadsMiddleware``): one request is one read, however many parts of the
    page (the chart's panels, for example) look at it. Downloads and changes are
    recorded by ``record_audit`` each time.
    """
    shown: dict[int, models.Model | None] = dict.fromkeys(patient_ids)
    shown.update((patient.pk, patient) for patient in patients)
    if patient_id is not None:
        shown[patient_id] = obj
    wanted = sorted(shown)
    # Only a patient has a record of their own (a clinician's list pays no query to learn
    # they have none); ``user.patient`` is the patients app's one-to-one.
    reader = user if isinstance(user, User) else None
    own_patient = getattr(reader, "patient", None) if reader is not None and reader.role == Role.PATIENT else None
    if own_patient is not None:
        wanted = [pid for pid in wanted if pid != own_patient.pk]
    reads = _audited_reads(request)
    if reads is not None:
        wanted = reads.not_yet_recorded(reader.pk if reader is not None else None, wanted)
    if not wanted:
        return []
    ip = client_ip_of(request)
    details = details or {}
    return AuditEvent.objects.bulk_create(
        [_event(user, action, pid, ip=ip, obj=shown[pid], detail=details.get(pid, "")[:200]) for pid in wanted]
    )


def _audited_reads(request: HttpRequest | Request | None) -> AuditedReads | None:
    """The request's record of reads already audited (``AuditedReadsMiddleware``);
    None outside a request that went through it (a task, a test calling a view)."""
    if request is None:
        return None
    reads = getattr(_django_request(request), "audited_reads", None)
    return reads if isinstance(reads, AuditedReads) else None
