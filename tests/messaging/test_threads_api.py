"""Starting threads and posting messages through the API, with the validation of
API.md: a 400 that names the field, and nothing half-saved."""

from __future__ import annotations

import pytest

from messaging.models import Attachment, InboxItem, Message, Thread
from tests.factories import PatientFactory
from tests.messaging.conftest import JPEG, PDF, PNG, upload


def test_patient_starts_a_thread_to_the_care_team(client_for, patient, clinician):
    response = client_for(patient.user).post(
        "/api/v1/threads/", {"subject": "Headache", "body": "It hurts when I sit."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["patient"] == patient.pk
    assert body["subject"] == "Headache"
    assert body["created_by"] == patient.user.pk
    thread = Thread.objects.get(pk=body["id"])
    assert thread.messages.count() == 1


def test_subject_is_optional(client_for, patient, clinician):
    response = client_for(patient.user).post("/api/v1/threads/", {"body": "Just a question."}, format="json")
    assert response.status_code == 201
    assert response.json()["subject"] == "Message to the care team"


def test_patient_may_not_name_a_patient(client_for, patient, other_patient):
    response = client_for(patient.user).post(
        "/api/v1/threads/", {"body": "Hello", "patient": other_patient.pk}, format="json"
    )
    assert response.status_code == 400
    assert "patient" in response.json()
    assert not Thread.objects.exists()


def test_clinician_must_name_a_care_team_patient(client_for, clinician, patient, other_patient):
    client = client_for(clinician)
    response = client.post("/api/v1/threads/", {"body": "Hello"}, format="json")
    assert response.status_code == 400
    assert response.json()["patient"] == ["This field is required."]
    assert (
        client.post("/api/v1/threads/", {"body": "Hello", "patient": other_patient.pk}, format="json").status_code
        == 404
    )
    response = client.post("/api/v1/threads/", {"body": "How are you today?", "patient": patient.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["patient"] == patient.pk
    assert Thread.objects.count() == 1


def test_a_clinician_thread_posts_no_inbox_item(client_for, clinician, patient):
    client_for(clinician).post("/api/v1/threads/", {"body": "How are you?", "patient": patient.pk}, format="json")
    assert not InboxItem.objects.exists()


def test_thread_list_is_paginated_newest_first_with_unread_counts(client_for, patient, clinician):
    client = client_for(patient.user)
    first = client.post("/api/v1/threads/", {"subject": "One", "body": "a"}, format="json").json()["id"]
    second = client.post("/api/v1/threads/", {"subject": "Two", "body": "b"}, format="json").json()["id"]
    listed = client_for(clinician).get("/api/v1/threads/").json()
    assert listed["count"] == 2
    assert [row["id"] for row in listed["results"]] == [second, first]
    assert [row["unread_count"] for row in listed["results"]] == [1, 1]
    assert client_for(clinician).get(f"/api/v1/threads/?patient={patient.pk}").json()["count"] == 2


def test_clinician_thread_filter_on_a_foreign_patient_is_404(client_for, clinician, other_patient):
    assert client_for(clinician).get(f"/api/v1/threads/?patient={other_patient.pk}").status_code == 404


def test_reply_and_read_messages(client_for, patient, clinician, thread):
    response = client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "Lie flat and drink."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == clinician.pk
    page = client_for(patient.user).get(f"/api/v1/threads/{thread.pk}/messages/").json()
    assert [m["body"] for m in page["results"]] == ["Hello, a question about my recovery.", "Lie flat and drink."]
    assert page["results"][1]["author_role"] == "clinician"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        ("x" * 10_001, "Ensure this field has no more than 10000 characters."),
    ],
)
def test_body_is_required_and_at_most_10000_characters(client_for, patient, thread, body, message):
    before = Message.objects.count()
    response = client_for(patient.user).post(f"/api/v1/threads/{thread.pk}/messages/", {"body": body}, format="json")
    assert response.status_code == 400
    assert response.json() == {"body": [message]}
    assert Message.objects.count() == before


def test_missing_body_names_the_field(client_for, patient, clinician):
    response = client_for(patient.user).post("/api/v1/threads/", {"subject": "x"}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()
    assert not Thread.objects.exists()


def test_a_body_of_exactly_10000_characters_is_fine(client_for, patient, thread):
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "y" * 10_000}, format="json"
    )
    assert response.status_code == 201
    assert len(response.json()["body"]) == 10_000


def test_malformed_json_and_wrong_types_are_400(client_for, patient, thread):
    client = client_for(patient.user)
    response = client.post(f"/api/v1/threads/{thread.pk}/messages/", "{not json", content_type="application/json")
    assert response.status_code == 400
    response = client.post(f"/api/v1/threads/{thread.pk}/messages/", {"body": ["a", "list"]}, format="json")
    assert response.status_code == 400 and "body" in response.json()


def test_attachments_by_multipart_images_and_pdf(client_for, patient, clinician, thread):
    client = client_for(patient.user)
    response = client.post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {
            "body": "Photos and the discharge letter.",
            "attachments": [upload("site.png", PNG), upload("letter.pdf", PDF), upload("photo", JPEG)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    files = response.json()["attachments"]
    assert [(f["filename"], f["content_type"]) for f in files] == [
        ("site.png", "image/png"),
        ("letter.pdf", "application/pdf"),
        ("photo.jpg", "image/jpeg"),
    ]
    download = client_for(clinician).get(files[1]["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith('attachment; filename="letter.pdf"')
    assert download.content == PDF


def test_a_file_named_pdf_that_is_not_a_pdf_is_refused_and_nothing_is_stored(client_for, patient, thread):
    before = Message.objects.count()
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {
            "body": "My results",
            "attachments": [upload("results.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "attachments" in response.json()
    assert "PDF" in response.json()["attachments"][0]
    assert Message.objects.count() == before
    assert not Attachment.objects.exists()


def test_an_executable_named_pdf_is_refused(client_for, patient, clinician):
    response = client_for(patient.user).post(
        "/api/v1/threads/",
        {"body": "See file", "attachments": [upload("scan.pdf", b"MZ\x90\x00" + b"\x00" * 200)]},
        format="multipart",
    )
    assert response.status_code == 400 and "attachments" in response.json()
    assert not Thread.objects.exists()


def test_a_png_named_pdf_is_kept_as_png(client_for, patient, thread):
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "x", "attachments": [upload("scan.pdf", PNG)]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0] | {"id": 0, "url": ""} == {
        "id": 0,
        "url": "",
        "filename": "scan.png",
        "content_type": "image/png",
        "size": len(PNG),
    }


def test_files_over_10_mb_are_refused(client_for, patient, thread):
    big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "big", "attachments": [upload("big.pdf", big)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"attachments": ["Each file must be 10 MB or smaller."]}
    assert not Attachment.objects.exists()


def test_a_file_of_exactly_10_mb_is_accepted(client_for, patient, thread):
    exact = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "ok", "attachments": [upload("ok.pdf", exact)]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0]["size"] == 10 * 1024 * 1024


def test_one_bad_file_refuses_the_whole_message(client_for, patient, thread):
    before = Message.objects.count()
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "two files", "attachments": [upload("ok.png", PNG), upload("bad.gif", b"GIF? no")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert Message.objects.count() == before and not Attachment.objects.exists()


def test_at_most_five_files(client_for, patient, thread):
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "many", "attachments": [upload(f"{n}.png", PNG) for n in range(6)]},
        format="multipart",
    )
    assert response.status_code == 400 and "attachments" in response.json()


def test_attachment_filenames_lose_folders_and_quotes(client_for, patient, thread):
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"body": "x", "attachments": [upload('..\\..\\evil"name.png', PNG)]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0]["filename"] == "evilname.png"


def test_thread_detail_shows_forwards_to_clinicians_only(client_for, patient, clinician, anesthesiologist, thread):
    client_for(clinician).post(
        f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk, "note": "Blood patch?"}, format="json"
    )
    as_clinician = client_for(anesthesiologist).get(f"/api/v1/threads/{thread.pk}/").json()
    assert as_clinician["forwards"][0]["note"] == "Blood patch?"
    assert as_clinician["inbox_item"] is not None
    as_patient = client_for(patient.user).get(f"/api/v1/threads/{thread.pk}/").json()
    assert as_patient["forwards"] == [] and as_patient["inbox_item"] is None


def test_inbox_status_is_for_clinicians(client_for, patient, thread):
    response = client_for(patient.user).post(
        f"/api/v1/threads/{thread.pk}/messages/", {"body": "x", "inbox_status": "done"}, format="json"
    )
    assert response.status_code == 400 and "inbox_status" in response.json()


def test_a_patient_without_a_record_gets_404(client_for):
    from tests.factories import UserFactory

    stray = UserFactory()
    assert client_for(stray).post("/api/v1/threads/", {"body": "Hello"}, format="json").status_code == 404


def test_a_second_patient_of_the_same_clinician_has_separate_threads(client_for, clinician, patient, thread):
    from tests.factories import CareTeamGrantFactory

    second = PatientFactory()
    CareTeamGrantFactory(patient=second, clinician=clinician)
    client_for(second.user).post("/api/v1/threads/", {"body": "Mine"}, format="json")
    assert client_for(clinician).get("/api/v1/threads/").json()["count"] == 2
    assert client_for(patient.user).get("/api/v1/threads/").json()["count"] == 1
