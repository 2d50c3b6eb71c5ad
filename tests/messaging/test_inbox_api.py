"""The triage queue: scope, order, filters, triage changes, bulk actions and a
constant number of queries however long the queue is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from messaging import services
from messaging.models import PRIORITY_RANK, InboxItem
from portal import plugins
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_item(patient, *, kind="alert", priority="normal", due_in=timedelta(hours=1), status="new", n=None, **extra):
    n = n if n is not None else InboxItem.objects.count() + 1
    return InboxItem.objects.create(
        kind=kind,
        patient=patient,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        status=status,
        due_at=timezone.now() + due_in,
        summary=f"Item {n}",
        source_type="tests.item",
        source_id=str(n),
        **extra,
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def inbox(patient, clinician, anesthesiologist, other_patient):
    with time_machine.travel(NOW, tick=False):
        return {
            "normal_late": make_item(patient, due_in=timedelta(hours=20)),
            "normal_soon": make_item(patient, due_in=timedelta(hours=2)),
            "urgent": make_item(patient, priority="urgent", due_in=timedelta(minutes=15)),
            "high_overdue": make_item(patient, priority="high", due_in=-timedelta(hours=1)),
            "mine": make_item(patient, kind="lab_request", assignee=clinician),
            "theirs": make_item(patient, kind="message", assignee=anesthesiologist, status="in_progress"),
            "done": make_item(patient, status="done"),
            "referral_for_anesthesia": make_item(patient, kind="referral", addressed_to=anesthesiologist),
            "foreign": make_item(other_patient, priority="urgent"),
        }


def test_urgent_first_then_oldest_due_and_only_my_care_team(client_for, clinician, inbox):
    with time_machine.travel(NOW, tick=False):
        got = ids(client_for(clinician).get("/api/v1/inbox/"))
    assert got == [
        inbox["urgent"].pk,
        inbox["high_overdue"].pk,
        inbox["mine"].pk,
        inbox["theirs"].pk,
        inbox["normal_soon"].pk,
        inbox["normal_late"].pk,
    ]


def test_fields_of_an_item(client_for, clinician, patient, inbox):
    with time_machine.travel(NOW, tick=False):
        row = client_for(clinician).get("/api/v1/inbox/?kind=lab_request").json()["results"][0]
    assert {"id", "kind", "patient", "priority", "status", "assignee", "due_at", "created_at", "summary"} <= set(row)
    assert row["patient"] == patient.pk and row["assignee"] == clinician.pk and row["kind"] == "lab_request"
    assert row["overdue"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("assignee=me", ["mine"]),
        ("assignee=unassigned", ["urgent", "high_overdue", "normal_soon", "normal_late"]),
        ("kind=message", ["theirs"]),
        ("priority=urgent", ["urgent"]),
        ("overdue=1", ["high_overdue"]),
        ("status=done", ["done"]),
        ("status=in_progress", ["theirs"]),
        ("status=open&assignee=me", ["mine"]),
        ("kind=referral", []),
    ],
)
def test_filters(client_for, clinician, inbox, query, expected):
    with time_machine.travel(NOW, tick=False):
        got = ids(client_for(clinician).get(f"/api/v1/inbox/?{query}"))
    assert got == [inbox[name].pk for name in expected]


def test_assignee_by_id_and_status_all(client_for, clinician, anesthesiologist, inbox):
    with time_machine.travel(NOW, tick=False):
        client = client_for(clinician)
        assert ids(client.get(f"/api/v1/inbox/?assignee={anesthesiologist.pk}")) == [inbox["theirs"].pk]
        assert inbox["done"].pk in ids(client.get("/api/v1/inbox/?status=all"))


def test_referrals_only_for_the_addressed_clinician(client_for, anesthesiologist, inbox):
    with time_machine.travel(NOW, tick=False):
        assert ids(client_for(anesthesiologist).get("/api/v1/inbox/?kind=referral")) == [
            inbox["referral_for_anesthesia"].pk
        ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=closed", "status"),
        ("assignee=bob", "assignee"),
        ("kind=fax", "kind"),
        ("priority=p1", "priority"),
        ("overdue=maybe", "overdue"),
        ("patient=x", "patient"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client_for, clinician, query, field):
    response = client_for(clinician).get(f"/api/v1/inbox/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_patch_status_assignee_priority(client_for, clinician, anesthesiologist, inbox):
    item = inbox["normal_late"]
    client = client_for(clinician)
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {"assignee": "me", "status": "in_progress"}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] == clinician.pk and response.json()["status"] == "in_progress"
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {"assignee": anesthesiologist.pk}, format="json")
    assert response.json()["assignee"] == anesthesiologist.pk
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {"assignee": None}, format="json")
    assert response.json()["assignee"] is None
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {"status": "done"}, format="json")
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    client.patch(f"/api/v1/inbox/{item.pk}/", {"status": "new"}, format="json")
    item.refresh_from_db()
    assert item.done_at is None


def test_raising_priority_brings_the_due_time_forward(client_for, clinician, inbox):
    item = inbox["normal_late"]
    with time_machine.travel(NOW, tick=False):
        response = client_for(clinician).patch(f"/api/v1/inbox/{item.pk}/", {"priority": "urgent"}, format="json")
    assert response.json()["priority"] == "urgent"
    item.refresh_from_db()
    assert item.priority_rank == 0
    assert item.due_at == NOW + timedelta(minutes=15)


def test_assignee_must_be_on_the_patients_care_team(client_for, clinician, outsider_clinician, patient, inbox):
    item = inbox["normal_late"]
    client = client_for(clinician)
    for bad in (outsider_clinician.pk, patient.user.pk, 987654):
        response = client.patch(f"/api/v1/inbox/{item.pk}/", {"assignee": bad}, format="json")
        assert response.status_code == 400
        assert "care team" in response.json()["assignee"][0]
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {"assignee": "someone"}, format="json")
    assert response.status_code == 400 and "assignee" in response.json()
    item.refresh_from_db()
    assert item.assignee is None


def test_patch_validates_values(client_for, clinician, inbox):
    item = inbox["normal_late"]
    client = client_for(clinician)
    assert "status" in client.patch(f"/api/v1/inbox/{item.pk}/", {"status": "closed"}, format="json").json()
    assert "priority" in client.patch(f"/api/v1/inbox/{item.pk}/", {"priority": "p1"}, format="json").json()
    response = client.patch(f"/api/v1/inbox/{item.pk}/", {}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_referral_stays_with_its_receiver(client_for, anesthesiologist, clinician, inbox):
    item = inbox["referral_for_anesthesia"]
    response = client_for(anesthesiologist).patch(
        f"/api/v1/inbox/{item.pk}/", {"assignee": clinician.pk}, format="json"
    )
    assert response.status_code == 400 and "assignee" in response.json()
    assert (
        client_for(clinician).patch(f"/api/v1/inbox/{item.pk}/", {"status": "done"}, format="json").status_code == 404
    )


def test_bulk_status_and_claim(client_for, clinician, inbox):
    picked = [inbox["normal_late"].pk, inbox["normal_soon"].pk]
    client = client_for(clinician)
    response = client.post("/api/v1/inbox/bulk/", {"ids": picked, "assignee": "me"}, format="json")
    assert response.status_code == 200 and response.json() == {"updated": 2}
    response = client.post("/api/v1/inbox/bulk/", {"ids": picked, "status": "done", "priority": "high"}, format="json")
    assert response.json() == {"updated": 2}
    for item in InboxItem.objects.filter(pk__in=picked):
        assert (item.assignee, item.status, item.priority) == (clinician, "done", "high")


def test_bulk_is_all_or_nothing(client_for, clinician, outsider_clinician, inbox):
    client = client_for(clinician)
    picked = [inbox["normal_late"].pk, inbox["foreign"].pk]
    response = client.post("/api/v1/inbox/bulk/", {"ids": picked, "status": "done"}, format="json")
    assert response.status_code == 400 and "ids" in response.json()
    response = client.post(
        "/api/v1/inbox/bulk/", {"ids": [inbox["normal_late"].pk], "assignee": outsider_clinician.pk}, format="json"
    )
    assert response.status_code == 400 and "assignee" in response.json()
    assert not InboxItem.objects.filter(pk__in=picked, status="done").exists()
    assert not InboxItem.objects.filter(assignee=outsider_clinician).exists()


def test_bulk_needs_ids_and_a_change(client_for, clinician, inbox):
    client = client_for(clinician)
    assert "ids" in client.post("/api/v1/inbox/bulk/", {"ids": [], "status": "done"}, format="json").json()
    assert "ids" in client.post("/api/v1/inbox/bulk/", {"status": "done"}, format="json").json()
    response = client.post("/api/v1/inbox/bulk/", {"ids": [inbox["urgent"].pk]}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    response = client.post("/api/v1/inbox/bulk/", {"ids": list(range(1, 300)), "status": "done"}, format="json")
    assert response.status_code == 400 and "ids" in response.json()


def test_bulk_assignee_must_be_on_every_patients_team(client_for, clinician, anesthesiologist, patient):
    second = PatientFactory()
    CareTeamGrantFactory(patient=second, clinician=clinician)  # anesthesiologist is not on this team
    a = make_item(patient)
    b = make_item(second)
    response = client_for(clinician).post(
        "/api/v1/inbox/bulk/", {"ids": [a.pk, b.pk], "assignee": anesthesiologist.pk}, format="json"
    )
    assert response.status_code == 400 and "assignee" in response.json()
    assert InboxItem.objects.filter(assignee__isnull=False).count() == 0


def _seed(clinician, count: int) -> None:
    patients = [PatientFactory(procedure=False) for _ in range(5)]
    for patient in patients:
        CareTeamGrantFactory(patient=patient, clinician=clinician)
    colleague = ClinicianFactory(mfa=False)
    now = timezone.now()
    InboxItem.objects.bulk_create(
        [
            InboxItem(
                kind=["message", "alert", "lab_request", "lab_result"][n % 4],
                patient=patients[n % 5],
                priority=["urgent", "high", "normal"][n % 3],
                priority_rank=n % 3,
                status=["new", "in_progress", "waiting"][n % 3],
                assignee=[None, clinician, colleague][n % 3],
                due_at=now + timedelta(minutes=n - count // 2),
                summary=f"Item {n}",
                source_type="tests.bulk",
                source_id=str(n),
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("count", [10, 1000])
def test_inbox_list_runs_a_constant_number_of_queries(client_for, clinician, django_assert_max_num_queries, count):
    _seed(clinician, count)
    client = client_for(clinician)
    client.get("/api/v1/me")  # warm the session
    # session + user + MFA check + count + the page's ids + its rows (patient, user, assignee and
    # the latest procedure joined) + one INSERT of the page's audit events + the facts of its
    # kinds (alerts: their alerts, then firings with rules; messages: threads, then the latest
    # messages) + one INSERT of the previews' reads
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/inbox/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(count, 50)
    assert response.json()["count"] == count
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/inbox/?assignee=me&overdue=1&kind=alert").status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_inbox_page_runs_a_constant_number_of_queries(
    client_for, clinician, django_assert_max_num_queries, monkeypatch, count
):
    # Only this app's navigation: other apps' badges are theirs to count.
    monkeypatch.setattr(plugins, "NAV", {app: plugins.NAV[app] for app in ("portal", "messaging")})
    _seed(clinician, count)
    client = client_for(clinician)
    client.get("/inbox/")
    # session + user + MFA check + counts (nav, tabs and pager) + the page's rows (its ids as the
    # subquery: one round trip) + the audit INSERT
    # + whether the clinic's triage pool is empty (the banner of CLINICAL.md section 7)
    # + the facts of the page's kinds (alerts: 2, messages: 2) + the previews' reads INSERT
    with django_assert_max_num_queries(12):
        response = client.get("/inbox/")
    assert response.status_code == 200
    assert response.content.count(b"data-row") == min(count, 50)
    if count > 50:
        assert f"Page 1 of {count // 50}".encode() in response.content
    # A custom filter counts its own total: one query more, still constant.
    with django_assert_max_num_queries(13):
        response = client.get("/inbox/?kind=alert&priority=high")
    assert response.status_code == 200


def test_service_refuses_an_empty_change(patient):
    item = make_item(patient)
    with pytest.raises(Exception, match="status"):
        services.update_inbox_item(item=item, by=None)


def test_the_page_shows_the_queue_in_the_apis_order_page_by_page(client_for, clinician):
    """The HTML page fetches its rows by the page's ids as a subquery and puts them back in
    the queue's order (urgent first, then oldest due): the same rows, in the same order,
    as the API's pages."""
    import re

    _seed(clinician, 120)
    client = client_for(clinician)
    for page in (1, 2, 3):
        api_ids = [row["id"] for row in client.get(f"/api/v1/inbox/?page={page}").json()["results"]]
        html = client.get(f"/inbox/?page={page}").content.decode()
        page_ids = [int(found) for found in re.findall(r'data-row data-id="(\d+)"', html)]
        assert page_ids == api_ids and len(page_ids) == (50 if page < 3 else 20)
