"""The pages: clinician inbox, thread page, patient's messages page, dashboard
panels, navigation, chart panel and demo data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from messaging import services
from messaging.models import InboxItem, Message, Thread, ThreadForward
from portal import plugins
from portal.audit.models import AuditEvent
from tests.factories import ClinicianFactory
from tests.messaging.conftest import PNG, upload


@pytest.fixture(autouse=True)
def _only_our_navigation(monkeypatch):
    # Other apps' nav and dashboard panels are theirs to test.
    monkeypatch.setattr(plugins, "NAV", {app: plugins.NAV[app] for app in ("portal", "messaging")})
    monkeypatch.setattr(plugins, "DASHBOARD", {"messaging": plugins.DASHBOARD["messaging"]})


def test_pages_need_sign_in(client, thread):
    for url in ["/inbox/", "/messages/", f"/messages/{thread.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_clinician_without_mfa_is_sent_to_set_it_up(client_for, clinician_without_mfa, thread):
    response = client_for(clinician_without_mfa).get("/inbox/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]


def test_inbox_is_for_clinicians(client_for, patient, admin):
    assert client_for(patient.user).get("/inbox/").status_code == 403
    assert client_for(admin).get("/messages/").status_code == 403


def test_inbox_page_lists_highlights_and_counts_overdue(client_for, clinician, patient, thread):
    InboxItem.objects.filter(kind="message").update(due_at=timezone.now() - timedelta(hours=1))
    page = client_for(clinician).get("/inbox/").content.decode()
    assert "Question" in page and "Hello, a question about my recovery." in page
    assert "is-overdue" in page and ">Overdue</strong>" in page
    assert "1 overdue" in page
    item = InboxItem.objects.get(kind="message")
    assert f'href="/inbox/{item.pk}/"' in page  # opens the item in the pane beside the list
    assert 'name="ids"' in page and "Claim" in page
    # The preview is the message's first line: the page's one read of the patient names it.
    (message,) = thread.messages.all()
    (event,) = AuditEvent.objects.filter(action="inbox.read", actor=clinician, patient_id=patient.pk)
    assert event.detail == f"previewed messages {message.pk}"


def test_inbox_rows_escape_names_and_show_who_has_the_item(client_for, clinician, patient, thread):
    patient.user.first_name = "<b>Avery</b>"
    patient.user.save()
    colleague = ClinicianFactory(first_name="Kim & Co")
    InboxItem.objects.filter(kind="message").update(assignee=colleague)
    page = client_for(clinician).get("/inbox/").content.decode()
    assert "&lt;b&gt;Avery&lt;/b&gt;" in page and "<b>Avery</b>" not in page
    assert "Kim &amp; Co" in page and "data-claim" in page  # someone else's: claimable
    InboxItem.objects.filter(kind="message").update(assignee=clinician)
    page = client_for(clinician).get("/inbox/").content.decode()
    assert "<strong>Me</strong>" in page and "data-claim" not in page


def test_an_inbox_row_posts_to_its_item_with_a_token_the_server_accepts(client_for, clinician, thread):
    item = InboxItem.objects.get(kind="message")
    client = client_for(clinician)
    client.handler.enforce_csrf_checks = True
    page = client.get("/inbox/?kind=message").content.decode()
    form = re.search(r'<form class="row-actions" method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form.group(1) == f"/inbox/{item.pk}/update/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2)).group(1)
    response = client.post(form.group(1), {"csrfmiddlewaretoken": token, "claim": "1", "status": "new"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.assignee == clinician


def test_inbox_filters_in_the_page(client_for, clinician, thread):
    client = client_for(clinician)
    preview = "Hello, a question about my recovery."  # the row's preview: the message's first line
    assert preview in client.get("/inbox/?assignee=unassigned").content.decode()
    assert preview not in client.get("/inbox/?assignee=me").content.decode()
    assert preview not in client.get("/inbox/?kind=alert").content.decode()
    page = client.get("/inbox/?status=bogus")
    assert page.status_code == 200 and "were not understood" in page.content.decode()


def test_claim_and_status_from_the_inbox_page(client_for, clinician, thread):
    item = InboxItem.objects.get(kind="message")
    client = client_for(clinician)
    response = client.post(
        f"/inbox/{item.pk}/update/", {"claim": "1", "status": "in_progress", "next": "/inbox/?kind=message"}
    )
    assert response.status_code == 302 and response["Location"] == "/inbox/?kind=message"
    item.refresh_from_db()
    assert item.assignee == clinician and item.status == "in_progress"
    response = client.post(f"/inbox/{item.pk}/update/", {"status": "done", "next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"


def test_bulk_from_the_inbox_page(client_for, clinician, patient, thread):
    second = services.start_thread(author=patient.user, subject="b", body="b")
    ids = list(InboxItem.objects.values_list("pk", flat=True))
    client = client_for(clinician)
    client.post("/inbox/bulk/", {"ids": ids, "action": "status:done"})
    assert set(InboxItem.objects.values_list("status", flat=True)) == {"done"}
    response = client.post("/inbox/bulk/", {"ids": ids, "action": ""}, follow=True)
    assert "Choose what to do" in response.content.decode()
    assert second.pk


def test_outsider_cannot_change_an_item_from_the_page(client_for, outsider_clinician, thread):
    item = InboxItem.objects.get(kind="message")
    assert client_for(outsider_clinician).post(f"/inbox/{item.pk}/update/", {"status": "done"}).status_code == 404


def test_thread_page_offers_the_clinician_every_status_of_its_inbox_item(client_for, clinician, thread):
    page = client_for(clinician).get(f"/messages/{thread.pk}/").content.decode()
    select = re.search(r'<select id="item-status" name="status">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="(\w+)"', select) == [value for value, _ in InboxItem.status.field.choices]
    assert '<option value="new" selected>' in select


def test_thread_page_for_the_patient_shows_read_receipts(client_for, patient, clinician, thread):
    client_for(clinician).get(f"/messages/{thread.pk}/")
    page = client_for(patient.user).get(f"/messages/{thread.pk}/").content.decode()
    assert "Hello, a question about my recovery." in page
    assert f"Read by your care team: {clinician.display_name} at" in page
    assert "Forward the case" not in page


def test_thread_page_says_not_read_yet(client_for, patient, thread):
    assert "Not read yet" in client_for(patient.user).get(f"/messages/{thread.pk}/").content.decode()


def test_thread_page_for_strangers_is_404(client_for, other_patient, outsider_clinician, thread):
    assert client_for(other_patient.user).get(f"/messages/{thread.pk}/").status_code == 404
    assert client_for(outsider_clinician).get(f"/messages/{thread.pk}/").status_code == 404


def test_reply_from_the_thread_page_with_an_attachment(client_for, clinician, patient, thread):
    client = client_for(patient.user)
    response = client.post(
        f"/messages/{thread.pk}/", {"reply-body": "Here is a photo", "reply-attachments": [upload("a.png", PNG)]}
    )
    assert response.status_code == 302
    message = thread.messages.order_by("-id").first()
    attachment = message.attachments.get()
    page = client_for(clinician).get(f"/messages/{thread.pk}/").content.decode()
    assert "Here is a photo" in page and f"/messages/attachments/{attachment.pk}/" in page
    download = client_for(clinician).get(f"/messages/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download.content == PNG


def test_reply_errors_are_shown_on_the_form(client_for, patient, thread):
    before = Message.objects.count()
    response = client_for(patient.user).post(
        f"/messages/{thread.pk}/", {"reply-body": "x", "reply-attachments": [upload("fake.pdf", b"not a pdf")]}
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert Message.objects.count() == before


def test_clinician_reply_sets_the_item_status(client_for, clinician, thread):
    client_for(clinician).post(f"/messages/{thread.pk}/", {"reply-body": "Done here", "reply-inbox_status": "done"})
    assert InboxItem.objects.get(kind="message").status == "done"


def test_one_click_forward_to_anesthesiology(client_for, clinician, anesthesiologist, thread):
    page = client_for(clinician).get(f"/messages/{thread.pk}/").content.decode()
    assert "Forward to anesthesiology" in page
    response = client_for(clinician).post(
        f"/messages/{thread.pk}/forward/", {"forward-to": anesthesiologist.pk, "forward-priority": "normal"}
    )
    assert response.status_code == 302
    assert ThreadForward.objects.get().to == anesthesiologist
    assert InboxItem.objects.get(kind="referral").addressed_to == anesthesiologist


def test_forward_to_a_stranger_from_the_page_explains_why(client_for, clinician, outsider_clinician, thread):
    response = client_for(clinician).post(
        f"/messages/{thread.pk}/forward/",
        {"forward-to": outsider_clinician.pk, "forward-priority": "normal"},
        follow=True,
    )
    assert "not on the patient&#x27;s care team" in response.content.decode()
    assert not ThreadForward.objects.exists()


def test_patient_messages_page_writes_to_the_care_team(client_for, patient, clinician):
    client = client_for(patient.user)
    page = client.get("/messages/").content.decode()
    assert "Write to your care team" in page and clinician.display_name in page
    response = client.post("/messages/", {"new-subject": "Dizzy", "new-body": "I feel dizzy when standing."})
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert response["Location"] == f"/messages/{thread.pk}/"
    assert "Dizzy" in client.get("/messages/").content.decode()


def test_patient_messages_page_rejects_an_empty_message(client_for, patient, clinician):
    response = client_for(patient.user).post("/messages/", {"new-subject": "x", "new-body": ""})
    assert response.status_code == 400
    assert not Thread.objects.exists()


def test_clinician_writes_to_a_care_team_patient_only(client_for, clinician, patient, other_patient):
    client = client_for(clinician)
    assert client.get(f"/messages/?patient={patient.pk}").status_code == 200
    assert client.get(f"/messages/?patient={other_patient.pk}").status_code == 404
    response = client.post("/messages/", {"new-patient": other_patient.pk, "new-body": "Hello"})
    assert response.status_code == 400 and not Thread.objects.exists()
    response = client.post("/messages/", {"new-patient": patient.pk, "new-body": "Hello from the clinic"})
    assert response.status_code == 302
    assert Thread.objects.get().patient == patient


def test_unread_badge_and_thread_list(client_for, patient, clinician, thread):
    services.post_message(author=clinician, thread=thread, body="A reply")
    page = client_for(patient.user).get("/messages/").content.decode()
    assert "1 new" in page
    assert 'aria-label="1 new"' in page  # the nav badge


def test_dashboard_panels(client_for, clinician, patient, thread):
    InboxItem.objects.update(due_at=timezone.now() - timedelta(minutes=5))
    page = client_for(clinician).get("/").content.decode()
    assert "See overdue items" in page and "overdue" in page
    services.post_message(author=clinician, thread=thread, body="Reply")
    page = client_for(patient.user).get("/").content.decode()
    assert "1 unread message" in page


def test_nav_items(clinician, patient, clinician_without_mfa, thread):
    from messaging.nav import nav_items

    assert nav_items(clinician)[0] == {"label": "Inbox", "url_name": "messaging:inbox", "order": 10, "badge": 1}
    assert nav_items(clinician_without_mfa)[0]["badge"] is None
    assert nav_items(patient.user)[0]["label"] == "Messages"


def test_chart_panel_lists_the_patients_threads(clinician, patient, other_patient, thread):
    from messaging.chart import panels

    request = RequestFactory().get("/")
    request.user = clinician
    html = panels(request, patient)[0]
    assert "Question" in html and f"/messages/{thread.pk}/" in html
    assert "1 open inbox item" in html
    # Scoped anyway: another patient's threads never show.
    services.start_thread(author=other_patient.user, subject="Secret other", body="x")
    assert "Secret other" not in panels(request, other_patient)[0]


def test_demo_seed_is_idempotent(clinician):
    from messaging.demo import seed
    from patients.models import CareTeamGrant
    from tests.factories import ClinicianFactory, PatientFactory

    pat = PatientFactory()
    neurologist = ClinicianFactory()
    CareTeamGrant.objects.create(patient=pat, clinician=neurologist)
    accounts = {"patient": pat.user, "neurologist": neurologist}
    seed(accounts)
    seed(accounts)
    thread = Thread.objects.get(patient=pat)
    assert list(thread.messages.values_list("author", flat=True)) == [pat.user.pk, neurologist.pk]
