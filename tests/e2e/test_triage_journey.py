"""Issue 16's proof at desktop size: a patient's 30 alerts are one row; the clinician
opens it beside the list, reads what fired, messages the patient, marks it done with
htmx (no reload), and the patient's page says the care team saw it. The inbox shows at
least 12 rows on a 1280x800 screen."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from alerts.models import Alert
from alerts.services import evaluate_entry
from messaging.services import start_thread
from tests.e2e.helpers import sign_in
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def viewport() -> str:
    """The split view and the row count are the desktop's (1280x800)."""
    return "desktop"


@pytest.fixture
def clinic():
    """Dr Lee cares for Avery, who logged 30 fevers (the last with a stiff neck), and
    for 14 other patients who each wrote a question."""
    lee = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee", mfa=False)
    secret = enable_totp(lee)
    avery = PatientFactory(user__email="avery@example.test", user__first_name="Avery", user__last_name="Moss")
    CareTeamGrantFactory(patient=avery, clinician=lee)
    for n in range(29):
        evaluate_entry(SymptomEntryFactory(patient=avery, temperature_c=Decimal("38.1") + Decimal(n % 5) / 10))
    evaluate_entry(SymptomEntryFactory(patient=avery, temperature_c=Decimal("38.6"), neck_stiffness=True, headache=7))
    for n in range(14):
        other = PatientFactory(user__first_name=f"Pat{n:02d}", user__last_name="Other")
        CareTeamGrantFactory(patient=other, clinician=lee)
        start_thread(author=other.user, subject=f"Question {n}", body="Is it normal to feel tired?")
    return {"lee": lee, "secret": secret, "avery": avery}


def test_thirty_alerts_are_one_row_triaged_in_the_pane(open_browser, clinic):
    assert Alert.objects.filter(patient=clinic["avery"]).count() == 30
    lee = open_browser("clinician")
    page = lee.page
    sign_in(page, "dr.lee@clinic.test", totp_secret=clinic["secret"])
    lee.go("/inbox/")

    # One row for Avery's 30 alerts, urgent, listing the rules and the count; 15 rows in all.
    rows = page.locator("[data-inbox] tbody tr")
    expect(rows).to_have_count(15)
    avery_rows = rows.filter(has_text="Avery Moss")
    expect(avery_rows).to_have_count(1)
    row = avery_rows.first
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("\N{MULTIPLICATION SIGN}30")
    expect(row).to_contain_text("Fever with a red-flag symptom reported · Fever reported")
    expect(row).to_contain_text("38.6 °C (101.5 °F)")
    # The screen at 1280x800 shows at least 12 whole rows.
    height = page.viewport_size["height"]
    boxes = [rows.nth(i).bounding_box() for i in range(rows.count())]
    assert sum(1 for box in boxes if box and box["y"] >= 0 and box["y"] + box["height"] <= height) >= 12
    lee.check("triage-inbox")

    # Open it beside the list: the trigger values of the newest alert and the ways on.
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    row.locator("[data-open]").click(position={"x": 8, "y": 6})  # the start of the title, as a person clicks
    pane = page.locator("#inbox-pane [data-pane]")
    expect(pane).to_contain_text("Avery Moss")
    expect(pane).to_contain_text("stiff neck")
    expect(pane.get_by_role("link", name="Next item →")).to_be_visible()
    expect(page.locator("[data-inbox]")).to_be_visible()  # the list stays
    lee.check("triage-pane")

    # Message the patient from the pane.
    pane.get_by_role("link", name="Message patient").click()
    page.get_by_label("Subject (optional)").fill("Your temperature")
    page.get_by_label("Message", exact=True).fill("I am calling you in a few minutes about the fever.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Message sent.")).to_be_visible()

    # Mark the row done without a reload: the status line says what changed.
    lee.go("/inbox/")
    row = page.locator("[data-inbox] tbody tr").filter(has_text="Avery Moss")
    row.get_by_role("button", name="Done").click()
    expect(page.locator("#inbox-status")).to_contain_text("Avery Moss's alert: status New → Done")
    expect(page.locator("[data-inbox] tbody tr").filter(has_text="Avery Moss")).to_contain_text("Done")
    assert set(Alert.objects.filter(patient=clinic["avery"]).values_list("status", flat=True)) == {"resolved"}

    # Avery's alerts page says the care team saw them.
    avery = open_browser("patient")
    sign_in(avery.page, "avery@example.test")
    avery.go("/alerts/")
    expect(avery.page.get_by_text(re.compile("Seen by your care team")).first).to_be_visible()
    expect(avery.page.get_by_text(re.compile("Not yet seen"))).to_have_count(0)
