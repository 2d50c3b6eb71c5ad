"""The clinician's journey in a real browser: from the urgent alert at the top of
the inbox to forwarding the case to the anesthesiologist, at phone and desktop size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from labs.models import LabRequest
from messaging.models import InboxItem
from messaging.services import start_thread
from patients.diary import submit_symptom_entry
from tests.e2e.helpers import path_of, sign_in
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, diary_answers, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def clinic():
    """Dr Lee (neurology, TOTP) and Dr Okafor (anesthesiology) care for Avery, on
    day 1. Avery first wrote a question, then logged a fever with a stiff neck
    (urgent: fever with a red flag) and another patient's message waits too."""
    lee = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee", mfa=False)
    secret = enable_totp(lee)
    okafor = ClinicianFactory(
        email="dr.okafor@clinic.test", first_name="Ada", last_name="Okafor", specialty="anesthesiology"
    )
    avery = PatientFactory(user__email="avery@example.test", user__first_name="Avery", user__last_name="Moss")
    blake = PatientFactory(user__email="blake@example.test", user__first_name="Blake", user__last_name="Hall")
    for patient, clinician in ((avery, lee), (avery, okafor), (blake, lee)):
        CareTeamGrantFactory(patient=patient, clinician=clinician)
    start_thread(author=blake.user, subject="Bruise", body="The site is a bit bruised.")
    start_thread(author=avery.user, subject="Headache when I sit up", body="Is this normal?")
    submit_symptom_entry(
        patient=avery,
        data=diary_answers(headache=5, back_pain=3, temperature_c=38.6, neck_stiffness=True),
        entered_by=avery.user,
    )
    return {"lee": lee, "secret": secret, "okafor": okafor, "avery": avery}


def test_clinician_journey(open_browser, clinic):
    lee = open_browser("clinician")
    page = lee.page

    # Sign in with the authenticator code.
    sign_in(page, "dr.lee@clinic.test", totp_secret=clinic["secret"])
    expect(page.get_by_role("heading", name="Hello, Robin")).to_be_visible()
    lee.check("dashboard")

    # The inbox: the urgent alert heads the queue.
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.get_by_role("heading", name=re.compile("^Inbox"))).to_be_visible()
    rows = page.locator("[data-inbox] tbody tr")
    expect(rows).to_have_count(3)  # the entry's one urgent alert (red flag and fever), two messages
    first_row = rows.first
    expect(first_row).to_contain_text("Urgent")
    expect(first_row).to_contain_text("Alert")
    expect(first_row).to_contain_text("Avery Moss")
    expect(first_row).to_contain_text("Fever with a red-flag symptom")
    expect(first_row).to_contain_text("Fever reported")  # every rule of the episode, by its plain title
    expect(first_row).to_contain_text("38.6 °C (101.5 °F)")  # what fired
    lee.check("inbox")

    # The item (beside the list on a desktop, its own page on a phone), then the alert,
    # then the chart: the fever is on the trend, the urgent alert on top.
    first_row.locator("[data-open]").click(position={"x": 8, "y": 6})  # the start of the title
    expect(page.locator("[data-pane]")).to_contain_text("stiff neck")
    page.get_by_role("link", name=re.compile("Open the newest alert")).click()
    expect(page.get_by_role("heading", name="Urgent alert")).to_be_visible()
    fired = page.locator("ul.fired-rules li")
    expect(fired).to_have_count(2)
    expect(fired.first).to_contain_text("Fever with a red-flag symptom reported")
    expect(fired.nth(1)).to_contain_text("Fever reported")
    lee.check("alert")
    alert_path = path_of(page)
    page.get_by_role("link", name="Open Avery Moss's chart").click()
    expect(page.get_by_role("heading", name="Avery Moss", level=1)).to_be_visible()
    # The chart has a narrow and a wide drawing and the stylesheet shows one: read it
    # once the page's styles have loaded (before that, both are in the tree).
    page.wait_for_load_state("load")
    expect(page.get_by_role("img", name=re.compile("1 at or above the fever line"))).to_be_visible()
    # The chart opens on the summary: the latest entry's answers, then the open alerts.
    summary = page.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("Reported: stiff neck")
    alerts_panel = page.get_by_role("region", name=re.compile("^Open alerts"))
    expect(alerts_panel.locator("li").first).to_contain_text("Urgent")
    lee.check("chart")

    # Acknowledge the urgent alert, with a note.
    alerts_panel.get_by_role("link", name=re.compile("red-flag")).click()
    page.get_by_label("Note (optional)").fill("Calling Avery now.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Status: Acknowledged")).to_be_visible()
    expect(page.get_by_text(re.compile("Seen by Robin Lee .*Calling Avery now"))).to_be_visible()
    lee.check("alert-acknowledged")

    # Reply to Avery's question, from the chart's messages panel.
    page.get_by_role("link", name="Open Avery Moss's chart").click()
    page.get_by_role("link", name="Headache when I sit up").click()
    expect(page.get_by_text("Is this normal?")).to_be_visible()
    lee.check("thread")
    reply = "Lie flat and keep drinking normally. I am calling you about the fever now."
    page.get_by_label("Message", exact=True).fill(reply)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Message sent.")).to_be_visible()
    expect(page.locator(".msg.mine")).to_contain_text(reply)
    thread_path = path_of(page)

    # Order CRP and ESR from the alert: an order, urgent, with no review of her own.
    lee.go(alert_path)
    page.get_by_role("link", name="Order labs").click()
    expect(page.get_by_role("heading", name="Order lab tests")).to_be_visible()
    expect(page.get_by_text(re.compile("Patient: Avery Moss."))).to_be_visible()
    lee.check("request-labs")
    page.get_by_label("C-reactive protein (CRP)").check()
    page.get_by_label("Erythrocyte sedimentation rate (ESR)").check()
    page.get_by_label("Indication").fill("Fever with neck stiffness on day 1.")
    page.get_by_label("Urgent").check()
    page.get_by_role("button", name="Place the order").click()
    expect(
        page.get_by_role("heading", name=re.compile("Lab request: C-reactive protein.*sedimentation rate"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"Ordered \(urgent\)")).first).to_be_visible()
    lee.check("lab-request")
    ordered = LabRequest.objects.get(patient=clinic["avery"])
    assert (ordered.tests, ordered.status, ordered.priority) == (["crp", "esr"], "ordered", "urgent")

    # Forward the case to the anesthesiologist: one click.
    lee.go(thread_path)
    page.get_by_role("button", name="Forward to anesthesiology (Ada Okafor)").click()
    expect(page.get_by_text("Forwarded to Ada Okafor (Anesthesiology). It is in their inbox now.")).to_be_visible()
    expect(page.get_by_role("region", name="Forwarded")).to_contain_text("Robin Lee (Neurology) → Ada Okafor")
    lee.check("forwarded")
    assert InboxItem.objects.filter(kind="referral", addressed_to=clinic["okafor"], patient=clinic["avery"]).exists()
