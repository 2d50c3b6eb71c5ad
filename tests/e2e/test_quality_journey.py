"""Clinic quality in a real browser, at phone and desktop size: a quality lead reads
the figures (charts with their tables, the hidden small rows, the definitions) and
downloads a CSV; a patient on day 4 answers the feedback card on the home page.
axe checks every page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quality import demo
from tests.e2e.helpers import main_text, sign_in
from tests.factories import ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_quality_lead_reads_the_figures(open_browser):
    demo.seed({})  # a past year of the clinic: 200 procedures, alerts, messages, feedback
    lead = ClinicianFactory(email="quinn@clinic.test", first_name="Quinn", is_quality=True, mfa=False)
    secret = enable_totp(lead)

    quinn = open_browser("quality-lead")
    page = quinn.page
    sign_in(page, "quinn@clinic.test", totp_secret=secret)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quality").click()
    expect(page.get_by_role("heading", name="Clinic quality", level=1)).to_be_visible()
    figures = [
        "Procedures",
        "PDPH by needle type and gauge",
        "Blood-patch referrals",
        "Urgent alerts: time to acknowledgement",
        "Patient messages: time to first clinician reply",
        "Patient feedback",
    ]
    for title in figures:
        section = page.get_by_role("region", name=title, exact=True)
        expect(section).to_be_visible()
        expect(section.get_by_role("img")).to_have_count(1)  # the chart, named by its title
        expect(section.get_by_role("table")).to_have_count(1)
    pdph = page.get_by_role("region", name="PDPH by needle type and gauge", exact=True)
    expect(pdph.get_by_role("img")).to_have_accessible_name(re.compile("PDPH rate by needle type and gauge"))
    rows = pdph.get_by_role("table").get_by_role("row")
    expect(rows.filter(has_text="27 G")).to_contain_text("not shown")
    expect(rows.filter(has_text="22 G").first).to_contain_text("%")
    text = main_text(page)
    assert "ICHD-3 7.2.1" in text and "5 days after it" in text
    assert "Nath et al., Lancet 2018" in text
    expect(page.get_by_role("region", name="What patients wrote").get_by_role("listitem").first).to_be_visible()
    quinn.check("quality-page")

    with page.expect_download() as download:
        pdph.get_by_role("link", name=re.compile("Download CSV")).click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0].startswith("Needle,Gauge,Procedures,PDPH,Rate")

    # A period that cannot be: the page says which date is wrong.
    page.get_by_role("textbox", name="From").fill("2026-12-31")
    page.get_by_role("textbox", name="To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_role("alert")).to_contain_text("starts after it ends")
    quinn.check("quality-period-error")


def test_a_patient_answers_the_feedback_card(open_browser):
    patient = PatientFactory(
        user__email="kim@example.test", user__first_name="Kim", procedure=timezone.now() - timedelta(days=4)
    )
    kim = open_browser("patient")
    page = kim.page
    sign_in(page, patient.user.email)
    card = page.get_by_role("region", name="How was your care?")
    expect(card).to_be_visible()
    kim.check("feedback-card")
    card.get_by_role("button", name="Send feedback").click()  # nothing chosen yet
    expect(page.get_by_role("alert").first).to_contain_text("Choose a score from 1 to 5.")
    kim.check("feedback-errors")
    card = page.get_by_role("region", name="How was your care?")
    card.get_by_role("group", name=re.compile("How clear")).get_by_text("4", exact=True).click()
    card.get_by_role("group", name=re.compile("How quickly")).get_by_text("5", exact=True).click()
    card.get_by_label(re.compile("Anything else")).fill("The diary was easy to use.")
    card.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(page.get_by_role("region", name="How was your care?")).to_have_count(0)
    kim.check("feedback-thanks")
