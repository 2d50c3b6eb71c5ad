"""The clinician chart's messaging panel: this patient's conversations."""

from __future__ import annotations

from django.template.loader import render_to_string

from messaging import selectors
from portal.accounts.models import Role

CHART_THREADS = 5


def panels(request, patient) -> list[str]:
    """Newest threads of the patient, with unread counts (the chart page has
    already checked access and audited the read; this stays scoped anyway)."""
    if request.user.role != Role.CLINICIAN:
        return []
    threads = list(selectors.thread_list_for(request.user, patient_id=patient.pk)[:CHART_THREADS])
    rows = [{"thread": thread, "subject": selectors.subject_of(thread)} for thread in threads]
    open_items = selectors.filtered_inbox(request.user, selectors.InboxFilters(patient=patient.pk)).count()
    return [
        render_to_string(
            "messaging/_chart_panel.html",
            {"patient": patient, "rows": rows, "open_items": open_items},
            request=request,
        )
    ]
