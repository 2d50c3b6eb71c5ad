"""Who may call each messaging and inbox endpoint.

Anonymous -> 401; a clinician without MFA -> 403 mfa_required; another patient
or a clinician outside the care team -> 404 for the object (or an empty list);
a role that may not do it -> 403.
"""

from __future__ import annotations

import pytest

from messaging import services
from messaging.models import InboxItem, Message, ThreadForward


def _endpoints(thread, attachment, item):
    return [
        ("get", "/api/v1/threads/", None),
        ("post", "/api/v1/threads/", {"subject": "Hi", "body": "Hello"}),
        ("get", f"/api/v1/threads/{thread.pk}/", None),
        ("get", f"/api/v1/threads/{thread.pk}/messages/", None),
        ("post", f"/api/v1/threads/{thread.pk}/messages/", {"body": "Hello"}),
        ("post", f"/api/v1/threads/{thread.pk}/forward/", {"to": 1, "note": ""}),
        ("get", f"/api/v1/attachments/{attachment.pk}/", None),
        ("get", "/api/v1/inbox/", None),
        ("get", f"/api/v1/inbox/{item.pk}/", None),
        ("patch", f"/api/v1/inbox/{item.pk}/", {"status": "done"}),
        ("post", "/api/v1/inbox/bulk/", {"ids": [item.pk], "status": "done"}),
    ]


@pytest.fixture
def item(thread):
    return InboxItem.objects.get(kind="message", source_id=str(thread.pk))


def _call(client, method, url, data):
    return getattr(client, method)(url, data, format="json") if data is not None else getattr(client, method)(url)


def test_anonymous_gets_401_everywhere(anon_client, thread, attachment, item):
    for method, url, data in _endpoints(thread, attachment, item):
        assert _call(anon_client, method, url, data).status_code == 401, (method, url)


def test_clinician_without_mfa_gets_403_mfa_required_everywhere(
    client_for, clinician_without_mfa, thread, attachment, item
):
    client = client_for(clinician_without_mfa)
    for method, url, data in _endpoints(thread, attachment, item):
        response = _call(client, method, url, data)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "mfa_required", (method, url)


def test_admin_is_refused_everything(client_for, admin, thread, attachment, item):
    client = client_for(admin)
    for method, url, data in _endpoints(thread, attachment, item):
        assert _call(client, method, url, data).status_code == 403, (method, url)


@pytest.mark.parametrize("persona", ["other_patient", "outsider_clinician"])
def test_strangers_get_404_for_the_thread_and_its_parts(request, client_for, persona, thread, attachment):
    client = client_for(getattr(request.getfixturevalue(persona), "user", None) or request.getfixturevalue(persona))
    before = Message.objects.count()
    assert client.get(f"/api/v1/threads/{thread.pk}/").status_code == 404
    assert client.get(f"/api/v1/threads/{thread.pk}/messages/").status_code == 404
    assert client.post(f"/api/v1/threads/{thread.pk}/messages/", {"body": "x"}, format="json").status_code == 404
    assert client.get(f"/api/v1/attachments/{attachment.pk}/").status_code == 404
    assert Message.objects.count() == before
    listed = client.get("/api/v1/threads/").json()
    assert listed["count"] == 0


def test_outsider_cannot_forward_or_see_inbox_items(client_for, outsider_clinician, anesthesiologist, thread, item):
    client = client_for(outsider_clinician)
    response = client.post(f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk}, format="json")
    assert response.status_code == 404
    assert not ThreadForward.objects.exists()
    assert client.get("/api/v1/inbox/").json()["count"] == 0
    assert client.get(f"/api/v1/inbox/{item.pk}/").status_code == 404
    assert client.patch(f"/api/v1/inbox/{item.pk}/", {"status": "done"}, format="json").status_code == 404
    response = client.post("/api/v1/inbox/bulk/", {"ids": [item.pk], "status": "done"}, format="json")
    assert response.status_code == 400 and "ids" in response.json()
    item.refresh_from_db()
    assert item.status == "new"


def test_missing_objects_are_404_like_foreign_ones(client_for, clinician):
    client = client_for(clinician)
    assert client.get("/api/v1/threads/999999/messages/").status_code == 404
    assert client.post("/api/v1/threads/999999/forward/", {"to": 1}, format="json").status_code == 404
    assert client.get("/api/v1/attachments/999999/").status_code == 404
    assert client.patch("/api/v1/inbox/999999/", {"status": "done"}, format="json").status_code == 404


def test_patients_have_no_inbox_and_cannot_forward(client_for, patient, anesthesiologist, thread, item):
    client = client_for(patient.user)
    assert client.get("/api/v1/inbox/").status_code == 403
    assert client.patch(f"/api/v1/inbox/{item.pk}/", {"status": "done"}, format="json").status_code == 403
    assert client.post("/api/v1/inbox/bulk/", {"ids": [item.pk], "status": "done"}, format="json").status_code == 403
    response = client.post(f"/api/v1/threads/{thread.pk}/forward/", {"to": anesthesiologist.pk}, format="json")
    assert response.status_code == 403


def test_the_patient_and_the_care_team_can_read_the_thread(client_for, patient, clinician, anesthesiologist, thread):
    for user in (patient.user, clinician, anesthesiologist):
        response = client_for(user).get(f"/api/v1/threads/{thread.pk}/messages/")
        assert response.status_code == 200
        assert response.json()["results"][0]["body"] == "Hello, a question about my recovery."


def test_a_revoked_clinician_loses_the_thread_at_once(client_for, clinician, thread):
    from django.utils import timezone

    from patients.models import CareTeamGrant

    CareTeamGrant.objects.filter(clinician=clinician).update(revoked_at=timezone.now())
    assert client_for(clinician).get(f"/api/v1/threads/{thread.pk}/messages/").status_code == 404
    assert client_for(clinician).get("/api/v1/inbox/").json()["count"] == 0


def test_other_patients_thread_is_not_listed(client_for, patient, thread, other_thread):
    listed = client_for(patient.user).get("/api/v1/threads/").json()
    assert [row["id"] for row in listed["results"]] == [thread.pk]
    services.post_message(author=patient.user, thread=thread, body="More")
    assert client_for(patient.user).get(f"/api/v1/threads/{other_thread.pk}/").status_code == 404
