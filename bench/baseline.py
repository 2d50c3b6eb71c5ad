"""Baseline views for the load benchmark (bench-only; mounted by bench/web_urls.py).

Each does the least a Django view can do for the same result: find the caller from
the same ``X-Session-Token`` (one session read, one user read), then one plain ORM
write or one ``.values()`` query and a ``JsonResponse``. No DRF, no validation, no
rule engine, no audit, no serializer: the floor the real endpoints are compared with.
"""

from __future__ import annotations

import json
from decimal import Decimal

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from messaging import selectors as inbox_selectors
from patients.models import Patient, SymptomEntry
from patients.questions import YES_NO_FIELDS
from portal.crypto import open_sealed_text, seal_text

YES_NO = YES_NO_FIELDS
HISTORY_FIELDS = ("id", "recorded_at", "back_pain", "headache", "temperature_c", *YES_NO, "notes_sealed")
INBOX_FIELDS = ("id", "kind", "patient_id", "priority", "status", "assignee_id", "due_at", "created_at", "summary")


def _caller(request: HttpRequest):
    found = authenticate_by_x_session_token(request.headers.get("X-Session-Token", ""))
    return found[0] if found else None


@csrf_exempt
def insert_symptom_entry(request: HttpRequest) -> HttpResponse:
    """The same row the symptom API writes, inserted as it comes."""
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "not signed in"}, status=401)
    patient_id = Patient.objects.filter(user=user).values_list("pk", flat=True).first()
    data = json.loads(request.body)
    now = timezone.now()
    temperature = data.get("temperature_c")
    entry = SymptomEntry.objects.create(
        patient_id=patient_id,
        entered_by=user,
        recorded_at=now,
        created_at=now,
        back_pain=data["back_pain"],
        headache=data["headache"],
        temperature_c=None if temperature is None else Decimal(str(temperature)),
        **{field: bool(data.get(field, False)) for field in YES_NO},
    )
    if data.get("notes"):  # sealed to its row, as the app does
        entry.notes_sealed = seal_text(data["notes"], context=f"symptom_entry:{entry.pk}")
        entry.save(update_fields=["notes_sealed"])
    return JsonResponse({"id": entry.pk}, status=201)


def symptom_history(request: HttpRequest) -> HttpResponse:
    """The caller's newest 100 entries."""
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "not signed in"}, status=401)
    rows = list(
        SymptomEntry.objects.filter(patient__user=user, entered_in_error_at__isnull=True)
        .order_by("-recorded_at")
        .values(*HISTORY_FIELDS)[:100]
    )
    for row in rows:  # the notes opened, as the app shows them
        sealed = bytes(row.pop("notes_sealed"))
        row["notes"] = open_sealed_text(sealed, context=f"symptom_entry:{row['id']}") if sealed else ""
    return JsonResponse({"results": rows})


def inbox_first_page(request: HttpRequest) -> HttpResponse:
    """The clinician's first 50 open items, in the triage order, by the same selector."""
    user = _caller(request)
    if user is None:
        return JsonResponse({"detail": "not signed in"}, status=401)
    queue = inbox_selectors.filtered_inbox(user, inbox_selectors.inbox_filters_from({}))
    return JsonResponse({"results": list(queue.values(*INBOX_FIELDS)[:50])})
