"""Caregivers (proxy access): API.md "Caregivers", ``entered_by`` on symptoms, /me.

The patient invites, changes and revokes; a caregiver reads what the patient
allows with ``?patient=<id>`` and writes only as allowed; every caregiver read is
in the patient's access log; a revoked grant is a 404 at the next request.
"""

from __future__ import annotations

import re

import pytest

from alerts.models import Alert
from patients.access_log import access_log_lines
from patients.models import CaregiverGrant, SymptomEntry
from portal.accounts.models import Invitation, Role, User
from portal.audit.models import AuditEvent
from tests.factories import PatientFactory, UserFactory, diary_answers

CAREGIVERS = "/api/v1/caregivers/"
SYMPTOMS = "/api/v1/symptoms/"


def invitation_token(body: str) -> str:
    match = re.search(r"/invitations/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


@pytest.fixture
def caregiver(db):
    return UserFactory(role=Role.CAREGIVER, first_name="Casey", last_name="Lin")


def grant(patient, caregiver, **flags) -> CaregiverGrant:
    return CaregiverGrant.objects.create(patient=patient, caregiver=caregiver, **flags)


@pytest.fixture
def logging_caregiver(patient, caregiver):
    grant(patient, caregiver, can_log_symptoms=True)
    return caregiver


# --- The patient invites -----------------------------------------------------------------


def test_patient_invites_a_new_caregiver_who_accepts_and_signs_in(
    patient_api, patient, anon_client, django_capture_on_commit_callbacks, mailoutbox, client_for
):
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_api.post(
            CAREGIVERS,
            {"email": "Casey@Example.test", "first_name": "Casey", "last_name": "Lin", "can_log_symptoms": True},
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["can_log_symptoms"] is True and body["can_message"] is False and body["active"] is True
    assert body["caregiver"]["email"] == "casey@example.test"
    assert body["caregiver"]["invitation_pending"] is True
    user = User.objects.get(email="casey@example.test")
    assert user.role == Role.CAREGIVER and not user.has_usable_password()
    # The invitation email: a one-time link, no name and no health data.
    (mail,) = mailoutbox
    assert mail.to == ["casey@example.test"]
    assert patient.user.last_name not in mail.body and patient.user.first_name not in mail.body
    token = invitation_token(mail.body)
    accepted = anon_client.post(
        "/api/v1/invitations/accept/", {"token": token, "password": "a-long-caregiver-passphrase-1"}, format="json"
    )
    assert accepted.status_code == 200, accepted.json()
    user.refresh_from_db()
    me = client_for(user).get("/api/v1/me").json()
    assert me["role"] == "caregiver" and me["patients"] == [patient.pk] and me["patient_id"] is None


def test_an_existing_patient_is_added_and_told_by_email_without_a_new_invitation(
    patient_api, patient, django_capture_on_commit_callbacks, mailoutbox, client_for
):
    other = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_api.post(CAREGIVERS, {"email": other.user.email, "first_name": "X"}, format="json")
    assert response.status_code == 201, response.json()
    assert not Invitation.objects.filter(user=other.user).exists()
    (mail,) = mailoutbox
    assert "/accounts/login/" in mail.body and patient.user.last_name not in mail.body
    me = client_for(other.user).get("/api/v1/me").json()
    # A patient who follows someone stays a patient, with their own record, and gets the list.
    assert me["role"] == "patient" and me["patient_id"] == other.pk and me["patients"] == [patient.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address", "first_name": "A"}, "email"),
        ({"email": "new@example.test"}, "first_name"),
        ({"email": "new@example.test", "first_name": "A", "can_log_symptoms": "yes"}, "can_log_symptoms"),
        ({"email": "new@example.test", "first_name": ["A"]}, "first_name"),
    ],
)
def test_bad_invitations_are_400_naming_the_field_and_create_nothing(patient_api, body, field):
    users = User.objects.count()
    response = patient_api.post(CAREGIVERS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == users and not CaregiverGrant.objects.exists()


def test_inviting_oneself_a_clinician_or_an_existing_caregiver_is_refused(
    patient_api, patient, clinician, admin, caregiver
):
    grant(patient, caregiver)
    for email in (patient.user.email, clinician.email, admin.email, caregiver.email.upper()):
        response = patient_api.post(CAREGIVERS, {"email": email, "first_name": "A"}, format="json")
        assert response.status_code == 400, email
        assert list(response.json()) == ["email"]
    assert CaregiverGrant.objects.count() == 1
    assert "already one of your caregivers" in response.json()["email"][0]


def test_only_a_patient_manages_caregivers(client_for, caregiver, clinician):
    for user in (caregiver, clinician):
        assert client_for(user).get(CAREGIVERS).status_code == 403
        assert client_for(user).post(CAREGIVERS, {"email": "a@b.test"}, format="json").status_code == 403


def test_the_patient_lists_changes_and_revokes(patient_api, patient, caregiver, client_for):
    own = grant(patient, caregiver)
    someone_elses = grant(PatientFactory(), caregiver)
    assert [g["id"] for g in patient_api.get(CAREGIVERS).json()] == [own.pk]
    changed = patient_api.patch(f"{CAREGIVERS}{own.pk}/", {"can_log_symptoms": True}, format="json")
    assert changed.status_code == 200 and changed.json()["can_log_symptoms"] is True
    assert patient_api.patch(f"{CAREGIVERS}{own.pk}/", {"can_message": 3}, format="json").status_code == 400
    assert patient_api.delete(f"{CAREGIVERS}{someone_elses.pk}/").status_code == 404
    assert patient_api.delete(f"{CAREGIVERS}{own.pk}/").status_code == 204
    # A revoked grant's id: 404 for a second revoke and for a change.
    assert patient_api.delete(f"{CAREGIVERS}{own.pk}/").status_code == 404
    assert patient_api.patch(f"{CAREGIVERS}{own.pk}/", {"can_message": True}, format="json").status_code == 404
    assert patient_api.get(CAREGIVERS).json() == []
    assert [g["id"] for g in patient_api.get(CAREGIVERS + "?include_revoked=true").json()] == [own.pk]
    assert client_for(caregiver).get("/api/v1/me").json()["patients"] == [someone_elses.patient_id]


# --- What the caregiver reads ------------------------------------------------------------------


READS = [
    "/api/v1/symptoms/?patient={id}",
    "/api/v1/symptoms/trend/?patient={id}",
    "/api/v1/alerts/?patient={id}",
    "/api/v1/lab-reports/?patient={id}",
    "/api/v1/pain-plan/?patient={id}",
]


def test_a_caregiver_reads_what_the_patient_allows_and_each_read_is_in_the_access_log(
    patient, caregiver, client_for, seeded_rules
):
    grant(patient, caregiver)
    api = client_for(caregiver)
    for url in READS:
        response = api.get(url.format(id=patient.pk))
        assert response.status_code == 200, (url, response.content)
    actions = set(AuditEvent.objects.filter(actor=caregiver, patient_id=patient.pk).values_list("action", flat=True))
    assert actions == {"symptoms.read", "symptoms.trend.read", "alerts.read", "lab_report.list", "pain_plan.read"}
    lines = access_log_lines(patient)
    assert lines and all(line.who == "Casey Lin, caregiver" for line in lines)


def test_a_caregiver_gets_404_for_anyone_else_and_403_where_their_role_never_reads(patient, caregiver, client_for):
    grant(patient, caregiver)
    stranger = PatientFactory()
    api = client_for(caregiver)
    for url in READS:
        assert api.get(url.format(id=stranger.pk)).status_code == 404, url
        assert api.get(url.format(id="nope")).status_code == 404, url
    assert api.get(SYMPTOMS).status_code == 400  # whose diary: required
    for url in (
        f"/api/v1/medications/?patient={patient.pk}",
        "/api/v1/access-log/",
        "/api/v1/care-team/",
        f"/api/v1/patients/{patient.pk}/",
        CAREGIVERS,
    ):
        assert api.get(url).status_code == 403, url


def test_a_patient_who_is_a_caregiver_reads_the_followed_record_and_keeps_their_own(patient, client_for):
    follower = PatientFactory()
    grant(patient, follower.user)
    api = client_for(follower.user)
    assert api.get(f"{SYMPTOMS}?patient={patient.pk}").status_code == 200
    assert api.get(SYMPTOMS).status_code == 200  # their own diary
    assert api.get(f"/api/v1/medications/?patient={patient.pk}").status_code == 404
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404


def test_revoking_ends_access_at_the_next_request(patient, patient_api, caregiver, client_for):
    own = grant(patient, caregiver, can_log_symptoms=True)
    api = client_for(caregiver)
    assert api.get(f"{SYMPTOMS}?patient={patient.pk}").status_code == 200
    patient_api.delete(f"{CAREGIVERS}{own.pk}/")
    for url in READS:
        assert api.get(url.format(id=patient.pk)).status_code == 404, url
    answers = diary_answers(back_pain=1, headache=1, patient=patient.pk)
    assert api.post(SYMPTOMS, answers, format="json").status_code == 404
    assert not SymptomEntry.objects.exists()


# --- What the caregiver writes ---------------------------------------------------------------


def test_a_caregiver_allowed_to_log_posts_for_the_patient_and_the_entry_says_so(
    patient, logging_caregiver, client_for, patient_api
):
    api = client_for(logging_caregiver)
    response = api.post(SYMPTOMS, diary_answers(back_pain=2, headache=7, patient=patient.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["entered_by"] == {"id": logging_caregiver.pk, "role": "caregiver", "name": "Casey Lin"}
    entry = SymptomEntry.objects.get()
    assert entry.patient == patient and entry.entered_by == logging_caregiver
    listed = patient_api.get(SYMPTOMS).json()["results"][0]
    assert listed["entered_by"]["role"] == "caregiver" and listed["entered_by"]["name"] == "Casey Lin"


def test_a_patients_own_entry_is_entered_by_the_patient(patient, patient_api):
    body = patient_api.post(SYMPTOMS, diary_answers(back_pain=1, headache=1), format="json").json()
    assert body["entered_by"] == {"id": patient.user_id, "role": "patient"}
    mine = patient_api.post(SYMPTOMS, diary_answers(back_pain=1, headache=1, patient=patient.pk), format="json")
    assert mine.status_code == 201


def test_follow_only_cannot_log_and_nothing_is_created(patient, caregiver, client_for):
    grant(patient, caregiver)
    response = client_for(caregiver).post(
        SYMPTOMS, diary_answers(back_pain=1, headache=1, patient=patient.pk), format="json"
    )
    assert response.status_code == 400
    assert "not allowed you to log" in response.json()["patient"][0]
    assert not SymptomEntry.objects.exists()


def test_a_caregiver_posting_for_nobody_or_a_stranger(patient, logging_caregiver, client_for):
    api = client_for(logging_caregiver)
    assert list(api.post(SYMPTOMS, diary_answers(back_pain=1, headache=1), format="json").json()) == ["patient"]
    stranger = PatientFactory()
    answers = diary_answers(back_pain=1, headache=1, patient=stranger.pk)
    assert api.post(SYMPTOMS, answers, format="json").status_code == 404
    assert not SymptomEntry.objects.exists()


def test_the_rule_engine_treats_a_caregivers_entry_as_any_entry(
    patient, logging_caregiver, client_for, real_rule_engine, seeded_rules
):
    response = client_for(logging_caregiver).post(
        SYMPTOMS,
        diary_answers(back_pain=2, headache=3, temperature_c=39.2, neck_stiffness=True, patient=patient.pk),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["alerts"] and body["recommendations"][0]["severity"] == "urgent"
    assert Alert.objects.filter(patient=patient, severity="urgent").exists()


def test_a_caregiver_exports_their_part_of_the_record(patient, caregiver, client_for):
    grant(patient, caregiver)
    response = client_for(caregiver).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    assert response.status_code == 200, response.content
    kinds = {entry["resource"]["resourceType"] for entry in response.json()["entry"]}
    assert "Patient" in kinds and "CareTeam" not in kinds and "MedicationStatement" not in kinds
    assert client_for(caregiver).get(f"/fhir/R4/Patient/{PatientFactory().pk}/$everything").status_code == 404
