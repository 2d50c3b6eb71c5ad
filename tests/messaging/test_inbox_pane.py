"""Issue 16 point 2: row actions without a reload (htmx) that say what changed, and the
preview pane beside the list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alerts.models import Alert
from alerts.services import evaluate_entry
from messaging.models import InboxItem
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_row_action_answers_with_the_row_and_says_what_changed(client_for, clinician, patient, thread):
    item = InboxItem.objects.get(kind="message")
    response = client_for(clinician).post(f"/inbox/{item.pk}/update/", {"claim": "1", "status": "done"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="item-{item.pk}"')
    assert 'hx-swap-oob="true"' in body
    assert f"{patient.name}&#x27;s message: status New → Done; assigned to you." in body
    item.refresh_from_db()
    assert (item.status, item.assignee) == ("done", clinician)


def test_a_refused_row_action_says_why(client_for, clinician, thread):
    item = InboxItem.objects.get(kind="message")
    response = client_for(clinician).post(f"/inbox/{item.pk}/update/", {"status": "bogus"}, **HTMX)
    assert response.status_code == 200
    assert 'class="inbox-status error"' in response.content.decode()
    item.refresh_from_db()
    assert item.status == "new"


def test_the_pane_shows_the_thread_and_the_ways_on(client_for, clinician, patient, thread):
    patient.phone = "+1 (555) 010-0300"
    patient.save(update_fields=["phone"])
    item = InboxItem.objects.get(kind="message")
    pane = client_for(clinician).get(f"/inbox/{item.pk}/", **HTMX).content.decode()
    assert "<html" not in pane  # the partial, for the pane beside the list
    assert "Hello, a question about my recovery." in pane
    assert f'href="/messages/{thread.pk}/#reply-h"' in pane  # message patient
    assert f'href="/messages/{thread.pk}/#forward-h"' in pane  # forward
    assert f"/labs/requests/new/?patient={patient.pk}" in pane  # order labs
    assert patient.user.email in pane
    assert 'href="tel:+15550100300"' in pane and "+1 (555) 010-0300" in pane  # the patient's phone
    page = client_for(clinician).get(f"/inbox/{item.pk}/").content.decode()
    assert "<html" in page and "← Inbox" in page  # the same item as a page of its own


def test_the_pane_of_an_alert_item_shows_what_fired_and_leads_to_the_next_item(client_for, clinician, patient, thread):
    alert = Alert.objects.get(
        pk=evaluate_entry(
            SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.6"), neck_stiffness=True)
        ).alert_ids[0]
    )
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)
    pane = client_for(clinician).get(f"/inbox/{item.pk}/", **HTMX).content.decode()
    assert "38.6 °C (101.5 °F)" in pane and "stiff neck" in pane
    assert f"/labs/requests/new/?alert={alert.pk}" in pane
    message_item = InboxItem.objects.get(kind="message")
    assert f'href="/inbox/{message_item.pk}/"' in pane  # next item: the urgent alert comes first


def test_another_teams_item_is_404_in_the_pane(client_for, outsider_clinician, thread):
    item = InboxItem.objects.get(kind="message")
    assert client_for(outsider_clinician).get(f"/inbox/{item.pk}/", **HTMX).status_code == 404
