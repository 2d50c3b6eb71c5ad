"""Message bodies, subjects, attachments (content and names) and forwarding notes
are sealed at rest: a canary string written through the API is found nowhere in
the database's tables nor in the media folder, yet reads back through the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from messaging.models import Attachment, Message, Thread, ThreadForward
from portal.crypto import SealedDataError, open_sealed
from tests.messaging.conftest import PDF, PNG, upload

CANARY = "CANARY-7f3a9c-lumbar-puncture-secret"


def _tables_containing(needle: str) -> list[str]:
    """Every text-like and binary column of every table in the schema, as a dump would see it."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')
            """
        )
        columns = cursor.fetchall()
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = f'position(%s::bytea in "{column}") > 0'
                param = needle.encode()
            else:
                condition = f'strpos("{column}"::text, %s) > 0'
                param = needle
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE {condition}', [param])  # noqa: S608 -- names from the catalogue
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def _files_containing(needle: bytes) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return [str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


def test_canary_is_nowhere_in_plaintext(client_for, patient, clinician, anesthesiologist):
    client = client_for(patient.user)
    png_with_canary = PNG + CANARY.encode() * 3
    pdf_with_canary = PDF + f"({CANARY}) Tj\n".encode()
    response = client.post(
        "/api/v1/threads/",
        {
            "subject": f"Subject {CANARY}",
            "body": f"Body {CANARY}",
            "attachments": [upload(f"{CANARY}.png", png_with_canary), upload("letter.pdf", pdf_with_canary)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    thread_id = response.json()["id"]
    reply = client_for(clinician).post(
        f"/api/v1/threads/{thread_id}/messages/", {"body": f"Reply {CANARY}"}, format="json"
    )
    assert reply.status_code == 201
    forward = client_for(clinician).post(
        f"/api/v1/threads/{thread_id}/forward/", {"to": anesthesiologist.pk, "note": f"Note {CANARY}"}, format="json"
    )
    assert forward.status_code == 201

    # Sanity: the search finds the canary where it is not sealed.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE canary_probe (t text, b bytea)")
        cursor.execute("INSERT INTO canary_probe VALUES (%s, %s)", [CANARY, CANARY.encode()])
    assert set(_tables_containing(CANARY)) == {"canary_probe.t", "canary_probe.b"}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE canary_probe")

    assert _tables_containing(CANARY) == []
    assert _tables_containing(CANARY[:12]) == []
    assert _files_containing(CANARY.encode()) == []

    # ...and everything reads back for the people allowed to read it.
    messages = client.get(f"/api/v1/threads/{thread_id}/messages/").json()["results"]
    assert [m["body"] for m in messages] == [f"Body {CANARY}", f"Reply {CANARY}"]
    files = messages[0]["attachments"]
    assert files[0]["filename"] == f"{CANARY}.png"
    assert client.get(files[0]["url"]).content == png_with_canary
    assert client.get(files[1]["url"]).content == pdf_with_canary
    assert client.get("/api/v1/threads/").json()["results"][0]["subject"] == f"Subject {CANARY}"
    detail = client_for(anesthesiologist).get(f"/api/v1/threads/{thread_id}/").json()
    assert detail["forwards"][0]["note"] == f"Note {CANARY}"


def test_a_sealed_body_moved_to_another_row_does_not_open(patient, clinician, thread):
    from messaging import services

    second = services.post_message(author=patient.user, thread=thread, body="second")
    first = thread.messages.order_by("id").first()
    Message.objects.filter(pk=second.pk).update(body_sealed=first.body_sealed)
    second.refresh_from_db()
    with pytest.raises(SealedDataError):
        open_sealed(second.body_sealed, context=second.seal_context)


def test_every_sealed_column_is_registered_for_key_rotation():
    from portal.sealed import sealed_fields

    registered = {(field.model, field.field) for field in sealed_fields()}
    assert {
        ("messaging.Thread", "subject_sealed"),
        ("messaging.Message", "body_sealed"),
        ("messaging.Attachment", "content_sealed"),
        ("messaging.Attachment", "filename_sealed"),
        ("messaging.ThreadForward", "note_sealed"),
    } <= registered
    contexts = {(field.model, field.field): field.context for field in sealed_fields()}
    assert contexts[("messaging.Message", "body_sealed")](Message(pk=5)) == "message:5"
    assert contexts[("messaging.Attachment", "content_sealed")](Attachment(pk=6)) == "attachment:6"
    assert contexts[("messaging.Thread", "subject_sealed")](Thread(pk=7)) == "thread:7"
    assert contexts[("messaging.ThreadForward", "note_sealed")](ThreadForward(pk=8)) == "thread_forward:8"


def test_every_messaging_blob_opens_with_its_registered_context(
    client_for, patient, clinician, anesthesiologist, attachment
):
    """What key rotation does: walk the registry, open every blob with its row's context."""
    from django.apps import apps

    from portal.crypto import needs_rewrap, rewrap
    from portal.sealed import sealed_fields

    thread = attachment.message.thread
    client_for(clinician).post(f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk}, format="json")
    opened = 0
    for field in sealed_fields():
        if not field.model.startswith("messaging."):
            continue
        for row in apps.get_model(field.model).objects.all():
            blob = bytes(getattr(row, field.field))
            context = field.context(row)
            needs_rewrap(blob)
            assert open_sealed(rewrap(blob, context=context), context=context) == open_sealed(blob, context=context)
            opened += 1
    # subject, 2 bodies, attachment content and name, the (empty) forward note
    assert opened == 6
