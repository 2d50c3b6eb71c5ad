"""Patient feedback: once per procedure, from day 3, the comment sealed like a message
and read by quality leads without the patient's name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.crypto import open_sealed_text, seal_text
from quality.models import Feedback
from tests.factories import PatientFactory
from tests.quality import cohort as data
from tests.quality.cohort import Group

pytestmark = pytest.mark.django_db

BODY = {"clarity": 4, "responsiveness": 5, "comment": "The advice to lie flat helped."}


@pytest.fixture
def day_four(db):
    return PatientFactory(user__email="day.four@example.test", procedure=timezone.now() - timedelta(days=4))


def test_feedback_from_day_three_once(client_for, day_four):
    client = client_for(day_four.user)
    assert client.get("/api/v1/feedback/").json()["due"] is True
    response = client.post("/api/v1/feedback/", BODY, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["clarity"] == 4 and response.json()["comment"] == BODY["comment"]
    again = client.post("/api/v1/feedback/", {**BODY, "clarity": 1}, format="json")
    assert again.status_code == 409
    assert Feedback.objects.get().clarity == 4
    state = client.get("/api/v1/feedback/").json()
    assert state["due"] is False and state["feedback"]["responsiveness"] == 5


def test_feedback_before_day_three_is_a_400(client_for, patient):
    """The ``patient`` fixture's procedure was a day ago."""
    response = client_for(patient.user).post("/api/v1/feedback/", BODY, format="json")
    assert response.status_code == 400
    assert "day 3" in response.json()["non_field_errors"][0]
    assert not Feedback.objects.exists()
    assert client_for(patient.user).get("/api/v1/feedback/").json()["due"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"responsiveness": 5}, "clarity"),
        ({"clarity": 0, "responsiveness": 5}, "clarity"),
        ({"clarity": 6, "responsiveness": 5}, "clarity"),
        ({"clarity": "four", "responsiveness": 5}, "clarity"),
        ({"clarity": True, "responsiveness": 5}, "clarity"),
        ({"clarity": 3, "responsiveness": 2.5}, "responsiveness"),
        ({"clarity": 3, "responsiveness": 2, "comment": ["x"]}, "comment"),
        ({"clarity": 3, "responsiveness": 2, "comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_feedback_is_a_400_naming_the_field(client_for, day_four, body, field):
    response = client_for(day_four.user).post("/api/v1/feedback/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Feedback.objects.exists()


def test_the_comment_is_sealed_to_its_row(client_for, day_four):
    client_for(day_four.user).post("/api/v1/feedback/", BODY, format="json")
    feedback = Feedback.objects.get()
    assert BODY["comment"].encode() not in bytes(feedback.comment_sealed)
    assert open_sealed_text(bytes(feedback.comment_sealed), context=f"feedback:{feedback.pk}") == BODY["comment"]
    from portal.sealed import sealed_fields

    assert ("quality.Feedback", "comment_sealed") in {(f.model, f.field) for f in sealed_fields()}


def test_only_the_patient_gives_feedback(client_for, clinician, admin, quality_lead):
    for user in (clinician, admin, quality_lead):
        assert client_for(user).post("/api/v1/feedback/", BODY, format="json").status_code == 403


def test_the_home_page_card_until_answered(client_for, day_four, patient):
    client = client_for(day_four.user)
    assert "How was your care?" in client.get("/").content.decode()
    response = client.post("/feedback/", {"clarity": "5", "responsiveness": "4", "comment": ""})
    assert response.status_code == 302
    assert "How was your care?" not in client.get("/").content.decode()
    assert bytes(Feedback.objects.get().comment_sealed) == b""  # no comment: nothing sealed
    assert client.post("/feedback/", {"clarity": "1", "responsiveness": "1"}).status_code == 409
    # Not before day 3.
    assert "How was your care?" not in client_for(patient.user).get("/").content.decode()


def test_a_card_without_scores_says_what_is_missing(client_for, day_four):
    response = client_for(day_four.user).post("/feedback/", {"comment": "hi"})
    assert response.status_code == 400
    assert response.content.decode().count("Choose a score from 1 to 5.") == 2


def comment_on(procedures, comments: int, *, text: str = "Comment number {n}") -> None:
    """Feedback on each of ``procedures``, the first ``comments`` with a comment."""
    for n, procedure in enumerate(procedures):
        feedback = data.feedback(procedure, 4, 4)
        if n < comments:
            feedback.comment_sealed = seal_text(text.format(n=n), context=feedback.comment_seal_context)
            feedback.save()


def test_quality_leads_read_comments_without_names_and_each_read_is_audited(client_for, quality_lead, admin):
    cohort = data.build_cohort([Group("atraumatic", 22, procedures=10)])
    comment_on(cohort.procedures[:8], comments=5)
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert all(f"Comment number {n}" in page for n in range(5))
    assert "The newest 5 comments" in page
    for procedure in cohort.procedures:
        assert procedure.patient.user.email not in page
    commented = {p.patient_id for p in cohort.procedures[:5]}
    events = AuditEvent.objects.filter(action="quality.feedback.read", actor=quality_lead)
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(commented)  # one event per patient
    assert {(event.role, event.object_type) for event in events} == {("clinician", "")}
    # Admins read the figures, never the comments (sealed like messages).
    admin_page = client_for(admin).get("/quality/").content.decode()
    assert "Comment number 0" not in admin_page
    assert "quality leads only" in admin_page


def test_fewer_than_five_comments_show_none(client_for, quality_lead):
    """Four comments among ten feedback: the list's length would be a count under 5."""
    cohort = data.build_cohort([Group("atraumatic", 22, procedures=10)])
    comment_on(cohort.procedures, comments=4, text="A lonely comment")
    page = client_for(quality_lead).get("/quality/").content.decode()
    assert "A lonely comment" not in page
    assert "fewer than 5 patients wrote one" in page
    assert not AuditEvent.objects.filter(action="quality.feedback.read").exists()


def test_the_reads_of_the_comments_shown_are_one_insert(client_for, quality_lead):
    """However many comments the page shows, it runs the same queries: the figures once,
    the comments once, and one INSERT for the reads of all their patients."""
    cohort = data.build_cohort([Group("atraumatic", 22, procedures=60)])
    comment_on(cohort.procedures[:5], comments=5)
    client = client_for(quality_lead)
    client.get("/quality/")  # the session's first request settles its own writes
    with CaptureQueriesContext(connection) as few:
        client.get("/quality/")
    comment_on(cohort.procedures[5:30], comments=25)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/quality/").content.decode()
    assert page.count("<blockquote>") == 20
    assert len(many.captured_queries) == len(few.captured_queries)
    for run in (few, many):
        inserts = [q["sql"] for q in run.captured_queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 1 and "audit_auditevent" in inserts[0]
        statements = [q["sql"] for q in run.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        assert len(statements) == len(set(statements)), "a query ran twice"
    assert AuditEvent.objects.filter(action="quality.feedback.read").values("patient_id").distinct().count() == 25
