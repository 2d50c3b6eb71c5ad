"""Values a page works out once (portal.request_scope): the clinic's settings behind
its texts, the day banner, a clinician's inbox counts. One query each per request,
however many parts of the page ask; nothing kept for the next request, nothing written
onto the request or the user; outside a request, worked out afresh at each call."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.client import RequestFactory
from django.test.utils import CaptureQueriesContext

from messaging.selectors import inbox_counts
from messaging.services import post_inbox_item
from portal.request_scope import RequestScopeMiddleware, once_per_request

pytestmark = pytest.mark.django_db

# The inbox counts' aggregate names these columns; the clinic's row and the banner's
# procedure are read from their own tables.
INBOX_COUNTS_SQL = 'AS "unassigned"'
CLINIC_SQL = 'FROM "clinic_clinicsettings"'
BANNER_SQL = 'FROM "patients_procedure"'


def queries_matching(captured, text: str) -> int:
    return sum(text in query["sql"] for query in captured.captured_queries)


def in_one_request(render):
    """Run ``render`` as the view of one request through the middleware."""
    request = RequestFactory().get("/")
    return RequestScopeMiddleware(lambda req: render(req))(request)


def test_a_clinicians_home_page_counts_the_inbox_once(client_for, clinician, patient):
    """The Inbox badge, the Alerts badge and the home page's inbox panel share one query."""
    post_inbox_item(kind="alert", patient=patient, priority="urgent", summary="alert", source_type="t", source_id="1")
    client = client_for(clinician)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/")
    assert page.status_code == 200
    assert queries_matching(captured, INBOX_COUNTS_SQL) == 1
    assert not hasattr(page.wsgi_request.user, "_messaging_inbox_counts")


def test_each_request_counts_afresh(client_for, clinician, patient):
    client = client_for(clinician)
    client.get("/")
    post_inbox_item(kind="alert", patient=patient, priority="urgent", summary="alert", source_type="t", source_id="2")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/inbox/")
    assert queries_matching(captured, INBOX_COUNTS_SQL) == 1
    assert page.context["counts"]["open"] == 1  # not the empty inbox of the first page


def test_clinic_texts_read_the_clinic_once_per_request():
    template = Template(
        "{% load clinic_texts %}{% clinic_text 'Call {clinic_phone}.' %}"
        "{% clinic_text_links 'Call {emergency_number}.' %}{% urgent_instruction %}"
        "{% care_actions 'urgent' %}"
    )
    with CaptureQueriesContext(connection) as captured:
        in_one_request(lambda request: template.render(Context({"request": request})))
        in_one_request(lambda request: template.render(Context({"request": request})))
    assert queries_matching(captured, CLINIC_SQL) == 2  # one for each request


def test_the_day_banner_reads_the_procedure_once_per_request(patient):
    template = Template("{% load patients_ui %}{% day_banner %}{% day_banner %}")

    def render(request):
        request.user = patient.user
        return template.render(Context({"request": request}))

    with CaptureQueriesContext(connection) as captured:
        first = in_one_request(render)
        in_one_request(render)
    assert "Day" in first or "day" in first
    assert queries_matching(captured, BANNER_SQL) == 2  # one for each request


def test_outside_a_request_every_call_works_its_value_out(clinician, patient):
    assert inbox_counts(clinician)["open"] == 0
    post_inbox_item(kind="alert", patient=patient, priority="urgent", summary="alert", source_type="t", source_id="3")
    assert inbox_counts(clinician)["open"] == 1
    assert once_per_request("key", lambda: 1) == 1 and once_per_request("key", lambda: 2) == 2


def test_within_a_request_a_key_is_worked_out_once():
    calls = []

    def view(request):
        values = [once_per_request(("thing", 1), lambda: calls.append(1) or len(calls)) for _ in range(3)]
        other = once_per_request(("thing", 2), lambda: calls.append(2) or len(calls))
        return values, other

    assert in_one_request(view) == ([1, 1, 1], 2)
    assert in_one_request(view) == ([3, 3, 3], 4)  # nothing kept from the first request
