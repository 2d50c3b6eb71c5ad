"""Issue 16 point 1: one inbox item per patient episode for alerts, one status shared by
the item and its alerts, and the Alerts and Inbox badges counting the same thing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.nav import nav_items as alert_nav
from alerts.services import acknowledge_alert, evaluate_entry, resolve_alert
from messaging.models import InboxItem
from messaging.nav import nav_items as inbox_nav
from messaging.services import update_inbox_item
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db


def fever(patient, temperature="38.4") -> Alert:
    result = evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal(temperature)))
    return Alert.objects.get(pk=result.alert_ids[0])


def weakness(patient) -> Alert:
    result = evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    return Alert.objects.get(pk=result.alert_ids[0])


def item_of(alert: Alert) -> InboxItem:
    return InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)


def test_a_patients_alerts_share_one_item_with_the_highest_priority(patient, clinician):
    first = fever(patient)
    second = weakness(patient)
    assert first.pk != second.pk
    (item,) = InboxItem.objects.filter(kind="alert")
    assert item_of(first) == item_of(second) == item
    assert item.priority == "urgent"
    assert item.summary == "Urgent: New neurological symptom reported (and 1 more)"


def test_thirty_alerts_of_one_patient_are_one_row_listing_the_rules_and_the_count(client_for, patient, clinician):
    alerts = [fever(patient, f"38.{n % 9}") for n in range(29)] + [weakness(patient)]
    assert len({alert.pk for alert in alerts}) == 30
    response = client_for(clinician).get("/api/v1/inbox/?kind=alert")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["priority"] == "urgent"
    assert sorted(row["alerts"]) == sorted(alert.pk for alert in alerts)
    assert row["title"] == "New neurological symptom reported · Fever reported"
    # The newest alert's trigger values: what fired, in numbers.
    assert "leg weakness" in row["preview"]


def test_the_preview_carries_the_trigger_values(client_for, patient, clinician):
    fever(patient, "38.6")
    (row,) = client_for(clinician).get("/api/v1/inbox/").json()["results"]
    assert row["preview"].startswith("38.6 °C (101.5 °F)")


def test_done_resolves_every_alert_of_the_item_and_the_patient_sees_it(client_for, patient, clinician):
    first, second = fever(patient), weakness(patient)
    item = item_of(first)
    response = client_for(clinician).patch(f"/api/v1/inbox/{item.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    for alert in (first, second):
        alert.refresh_from_db()
        assert (alert.status, alert.resolved_by, alert.acknowledged_by) == ("resolved", clinician, clinician)
    seen = client_for(patient.user).get("/api/v1/alerts/").json()
    seen = seen["results"] if isinstance(seen, dict) else seen
    assert {row["status"] for row in seen} == {"resolved"}
    assert all(row["acknowledged_at"] for row in seen)


def test_in_progress_acknowledges_the_open_alerts(patient, clinician):
    alert = fever(patient)
    update_inbox_item(item=item_of(alert), by=clinician, status="in_progress")
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", clinician)


def test_bulk_done_resolves_the_alerts(client_for, patient, other_patient, clinician):
    from tests.factories import CareTeamGrantFactory

    CareTeamGrantFactory(patient=other_patient, clinician=clinician)
    alerts = [fever(patient), fever(other_patient)]
    ids = [item_of(alert).pk for alert in alerts]
    response = client_for(clinician).post("/api/v1/inbox/bulk/", {"ids": ids, "status": "done"}, format="json")
    assert response.status_code == 200, response.content
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}


def test_acknowledging_an_alert_moves_its_item_to_in_progress(patient, clinician):
    alert = fever(patient)
    acknowledge_alert(alert=alert, by=clinician)
    assert item_of(alert).status == "in_progress"


def test_the_item_is_done_when_its_last_alert_is_resolved(patient, clinician):
    first, second = fever(patient), weakness(patient)
    resolve_alert(alert=first, by=clinician)
    assert item_of(first).status == "in_progress"
    resolve_alert(alert=second, by=clinician)
    assert item_of(first).status == "done"


def test_an_alert_after_the_episode_was_closed_opens_the_next_item(patient, clinician):
    first = fever(patient)
    update_inbox_item(item=item_of(first), by=clinician, status="done")
    later = weakness(patient)
    assert item_of(later) != item_of(first)
    assert (item_of(later).status, item_of(first).status) == ("new", "done")
    later.refresh_from_db()
    assert later.status == "open"


def test_the_alerts_and_inbox_badges_count_the_same_items(patient, other_patient, clinician):
    for _ in range(3):
        fever(patient)
    weakness(patient)
    badge = {row["label"]: row.get("badge") for row in alert_nav(clinician) + inbox_nav(clinician)}
    assert badge["Alerts"] == badge["Inbox"] == 1


def test_the_alert_page_says_seen_once_the_item_is_in_progress(client_for, patient, clinician):
    alert = fever(patient)
    update_inbox_item(item=item_of(alert), by=clinician, status="in_progress")
    page = client_for(patient.user).get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Not yet seen" not in page


def test_the_inbox_page_and_its_pane_run_as_many_queries_for_twelve_patients_as_for_two(client_for, clinician):
    """The rows' facts (rules, trigger values, subjects, first lines, day N) come from a
    constant number of queries, however many patients and alerts the page shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from messaging.services import start_thread
    from tests.factories import CareTeamGrantFactory, PatientFactory

    def add_patients(n):
        for _ in range(n):
            someone = PatientFactory()
            CareTeamGrantFactory(patient=someone, clinician=clinician)
            fever(someone)
            weakness(someone)
            start_thread(author=someone.user, subject="Headache", body="Worse when I stand.\nSecond line.")

    client = client_for(clinician)
    add_patients(2)
    client.get("/inbox/")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/inbox/").content.decode()
    assert page.count("data-row") == 4 and "Worse when I stand." in page and "Second line" not in page
    add_patients(10)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/inbox/").content.decode()
    assert page.count("data-row") == 24
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_alert_api_carries_the_trigger_values(client_for, patient, clinician):
    alert = fever(patient, "38.6")
    body = client_for(clinician).get(f"/api/v1/alerts/{alert.pk}/").json()
    assert body["trigger"]["temperature_c"] == 38.6
    assert {"headache", "back_pain"} <= body["trigger"].keys()
