"""Diary notes and lab-request reasons are sealed like message bodies.

Before: both were stored in clear (``patients_symptomentry.notes``,
``labs_labrequest.reason``): a database dump, a backup or a replica read them. Now
each is sealed to its row (AES-256-GCM, "symptom_entry:<pk>" / "lab_request:<pk>"),
shown only through the selectors that already decide who may read the row,
searchable nowhere, and re-wrapped by rotate_encryption_key.
"""

from __future__ import annotations

import pytest
from django.db import connection

from labs.models import LabRequest
from labs.services import request_labs
from patients.diary import submit_symptom_entry
from patients.models import SymptomEntry
from portal.crypto import SealedDataError
from portal.sealed import sealed_fields
from tests.factories import diary_answers

pytestmark = pytest.mark.django_db

NOTE = "Dizzy after the tap, neighbour drove me home"
REASON = "Back pain worse at the puncture site since Tuesday"


def row_as_text(table: str, pk: int) -> str:
    """The whole row as the database holds it (what a dump or a replica shows)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", [pk])  # noqa: S608 (fixed names)
        return cursor.fetchone()[0]


@pytest.fixture
def entry(patient):
    return submit_symptom_entry(
        patient=patient, data=diary_answers(back_pain=2, headache=3, notes=NOTE), entered_by=patient.user
    ).entry


@pytest.fixture
def lab_request(patient):
    return request_labs(requested_by=patient.user, patient=patient, tests=["crp"], reason=REASON)


def test_a_diary_note_is_not_stored_in_clear(entry):
    assert "Dizzy" not in row_as_text("patients_symptomentry", entry.pk)
    assert SymptomEntry.objects.get(pk=entry.pk).notes == NOTE


def test_a_lab_request_reason_is_not_stored_in_clear(lab_request):
    assert "Back pain" not in row_as_text("labs_labrequest", lab_request.pk)
    assert LabRequest.objects.get(pk=lab_request.pk).reason == REASON


def test_a_note_moved_to_another_entry_does_not_open(entry, patient):
    other = submit_symptom_entry(
        patient=patient, data=diary_answers(back_pain=1, headache=1), entered_by=patient.user
    ).entry
    SymptomEntry.objects.filter(pk=other.pk).update(notes_sealed=bytes(entry.notes_sealed))
    with pytest.raises(SealedDataError):
        _ = SymptomEntry.objects.get(pk=other.pk).notes


def test_the_patient_and_the_care_team_still_read_them(client_for, patient, clinician, entry, lab_request):
    mine = client_for(patient.user).get("/api/v1/symptoms/").json()["results"][0]
    assert mine["notes"] == NOTE
    theirs = client_for(clinician).get(f"/api/v1/symptoms/?patient={patient.pk}").json()["results"][0]
    assert theirs["notes"] == NOTE
    assert client_for(clinician).get(f"/api/v1/lab-requests/{lab_request.pk}/").json()["reason"] == REASON
    assert REASON in client_for(patient.user).get(f"/labs/requests/{lab_request.pk}/").content.decode()
    assert NOTE in client_for(patient.user).get("/history/").content.decode()


def test_an_entry_without_a_note_stores_nothing_to_open(patient):
    entry = submit_symptom_entry(
        patient=patient, data=diary_answers(back_pain=1, headache=1), entered_by=patient.user
    ).entry
    assert bytes(SymptomEntry.objects.get(pk=entry.pk).notes_sealed) == b""
    assert entry.notes == ""


def test_key_rotation_walks_both_columns():
    registered = {(field.model, field.field) for field in sealed_fields()}
    assert {("patients.SymptomEntry", "notes_sealed"), ("labs.LabRequest", "reason_sealed")} <= registered
