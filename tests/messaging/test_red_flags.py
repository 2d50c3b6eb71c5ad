"""Patient messages that describe red flags (CLINICAL.md section 8).

A message is not the way to report an emergency: a patient message that mentions a
red flag (the words are rows admins edit) shows the urgent instruction and a link to
the diary before it is sent; once sent, its inbox item is high priority and due within
the clinic's red-flag response time (4 hours by default), not the next business day.
Every compose box says messages are for non-urgent questions.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from messaging import services
from messaging.models import InboxItem, Message, RedFlagTerm, Thread
from messaging.red_flags import mentions_red_flag
from portal.clinic.models import ClinicSettings
from tests.factories import ClinicianFactory, PatientFactory
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db

INSTRUCTION = "This needs medical attention now. Call 911 or go to the nearest emergency department."


@pytest.fixture
def web(patient, clinician):
    client = Client()
    sign_in(client, patient.user)
    return client


def words_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def item_of(thread: Thread) -> InboxItem:
    return InboxItem.objects.get(kind="message", source_id=str(thread.pk))


# --- The words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I think I have a fever",
        "My TEMPERATURE was high last night",
        "I have a stiff neck since this morning",
        "My legs feel numb",
        "I can't feel my left foot",
        "I can\u2019t feel my toes",  # a typographic apostrophe, as phones type it
        "I had a fit this afternoon",
        "There is a rash on my arms",
        "fluid leaking from the plaster",
        "This is the worst headache of my life",
        "Problems with my bladder",
    ],
)
def test_seeded_words_are_found(body):
    assert mentions_red_flag(body)


@pytest.mark.parametrize(
    "body",
    [
        "When can I go back to the gym? I want to keep my fitness.",
        "Thanks, everything is fine.",
        "Is it normal to feel tired?",
        "",
    ],
)
def test_ordinary_questions_are_not_flagged(body):
    assert not mentions_red_flag(body)


def test_an_admin_adds_a_word_and_it_counts_at_once(client_for, admin):
    assert not mentions_red_flag("I feel faint")
    response = client_for(admin).post("/admin/messaging/redflagterm/add/", {"phrase": "  Faint "})
    assert response.status_code == 302
    assert RedFlagTerm.objects.filter(phrase="faint").exists()
    assert mentions_red_flag("I feel FAINT")


@pytest.mark.parametrize(
    "phrase, error",
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("a", "at least 2 letters"),
        ("x" * 61, "at most 60 characters"),
        ("FEVER", "already a red-flag word"),
        ("fever\x00", "Null characters are not allowed."),
    ],
)
def test_a_bad_word_is_a_form_error_never_a_500(client_for, admin, phrase, error):
    before = RedFlagTerm.objects.count()
    response = client_for(admin).post("/admin/messaging/redflagterm/add/", {"phrase": phrase})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert RedFlagTerm.objects.count() == before


# --- The API --------------------------------------------------------------------------------------


def test_a_red_flag_message_is_high_priority_due_within_4_hours(client_for, patient, clinician):
    response = client_for(patient.user).post(
        "/api/v1/threads/", {"subject": "Since last night", "body": "I have a fever and feel drowsy"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["red_flag"] is True
    item = item_of(Thread.objects.get())
    assert item.priority == "high"
    assert item.due_at <= timezone.now() + timedelta(hours=4)
    assert item.due_at >= timezone.now() + timedelta(hours=4) - timedelta(minutes=1)


def test_an_ordinary_message_stays_normal(client_for, patient, clinician):
    response = client_for(patient.user).post("/api/v1/threads/", {"body": "When may I swim again?"}, format="json")
    assert response.json()["red_flag"] is False
    assert item_of(Thread.objects.get()).priority == "normal"


def test_the_clinics_red_flag_response_time_is_used(client_for, patient, clinician):
    ClinicSettings.objects.filter(pk=1).update(red_flag_response_hours=2)
    client_for(patient.user).post("/api/v1/threads/", {"body": "a rash appeared"}, format="json")
    assert item_of(Thread.objects.get()).due_at <= timezone.now() + timedelta(hours=2)


def test_a_red_flag_reply_raises_the_open_item(client_for, patient, clinician, thread):
    item = item_of(thread)
    assert item.priority == "normal"
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "Now my neck is stiff. Stiff neck, really."}, format="json"
    )
    assert response.status_code == 201 and response.json()["red_flag"] is True
    item.refresh_from_db()
    assert item.priority == "high" and item.due_at <= timezone.now() + timedelta(hours=4)


def test_a_red_flag_reply_reopens_a_done_item_as_high(client_for, patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="All good.", inbox_status="done")
    client_for(patient.user).post(f"/api/v1/threads/{thread.pk}/messages/", {"body": "Now a fever"}, format="json")
    item = item_of(thread)
    assert (item.status, item.priority) == ("new", "high")


def test_a_clinicians_words_raise_nothing(client_for, patient, clinician, thread):
    response = client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "Any fever or stiff neck?"}, format="json"
    )
    assert response.json()["red_flag"] is False
    assert item_of(thread).priority == "normal"


def test_no_word_of_the_message_reaches_the_logs(client_for, patient, clinician, caplog):
    caplog.set_level(logging.DEBUG)
    client_for(patient.user).post("/api/v1/threads/", {"body": "seizure this morning, zebra42"}, format="json")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "seizure" not in logged and "zebra42" not in logged


def test_a_red_flag_message_of_a_patient_without_a_care_team_reaches_the_pool(client_for):
    nurse = ClinicianFactory(is_triage=True)
    lonely = PatientFactory()
    client_for(lonely.user).post("/api/v1/threads/", {"body": "I can't feel my legs"}, format="json")
    thread = Thread.objects.get(patient=lonely)
    inbox = client_for(nurse).get("/api/v1/inbox/").json()
    assert [row["id"] for row in inbox["results"]] == [item_of(thread).pk]
    assert client_for(nurse).get(f"/api/v1/threads/{thread.pk}/messages/").status_code == 200


# --- The pages ------------------------------------------------------------------------------------


def test_before_sending_the_patient_sees_the_instruction_and_the_diary(web):
    response = web.post("/messages/", {"new-subject": "", "new-body": "I have a fever and a stiff neck"})
    assert response.status_code == 200
    page = response.content.decode()
    assert INSTRUCTION in words_of(page)
    assert 'href="tel:911"' in page
    assert 'href="/diary/"' in page
    assert not Message.objects.exists()  # not sent yet
    assert "I have a fever and a stiff neck" in page  # kept in the box, nothing lost
    response = web.post(
        "/messages/", {"new-subject": "", "new-body": "I have a fever and a stiff neck", "new-send_anyway": "1"}
    )
    assert response.status_code == 302
    assert item_of(Thread.objects.get()).priority == "high"


def test_a_reply_with_a_red_flag_is_held_for_the_instruction_too(web, thread):
    before = thread.messages.count()
    page = web.post(f"/messages/{thread.pk}/", {"reply-body": "now I feel numb"}).content.decode()
    assert INSTRUCTION in words_of(page) and 'href="/diary/"' in page
    assert thread.messages.count() == before
    web.post(f"/messages/{thread.pk}/", {"reply-body": "now I feel numb", "reply-send_anyway": "1"})
    assert thread.messages.count() == before + 1


def test_an_ordinary_message_is_sent_at_once(web):
    response = web.post("/messages/", {"new-subject": "", "new-body": "When may I swim again?"})
    assert response.status_code == 302
    assert Message.objects.count() == 1


@pytest.mark.parametrize("who", ["patient", "clinician"])
def test_every_compose_box_says_messages_are_for_non_urgent_questions(who, request, thread):
    user = request.getfixturevalue(who)
    client = Client()
    sign_in(client, getattr(user, "user", user))
    for url in ("/messages/", f"/messages/{thread.pk}/"):
        assert "Messages are for non-urgent questions" in client.get(url).content.decode(), url
