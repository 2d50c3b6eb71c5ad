"""The patient's journey in a real browser: from the emailed invitation to reading a
lab report, at phone and desktop size. Each step asserts what Jo sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labs.services import release_lab_report, upload_lab_report
from patients.services import enrol_patient
from tests.e2e.helpers import invitation_path, main_text, path_of, totp_code, use_session_of
from tests.factories import ClinicianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Lumbar-puncture-recovery-2026"


def test_patient_journey(open_browser, mailoutbox):
    # A neurologist enrolled Jo yesterday, a day after the procedure (26 hours ago): day 1.
    clinician = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee")
    patient = enrol_patient(
        enrolled_by=clinician,
        email="jo.patient@example.test",
        first_name="Jo",
        last_name="Rivera",
        date_of_birth="1985-03-02",
        sex="female",
        procedure={
            "performed_at": (timezone.now() - timedelta(hours=26)).isoformat(),
            "needle_type": "atraumatic",
            "needle_gauge": 22,
        },
    )
    jo = open_browser("patient")
    page = jo.page
    nav = page.get_by_role("navigation", name="Main")

    # The emailed link: choose a password.
    jo.go(invitation_path(mailoutbox, "jo.patient@example.test"))
    expect(page.get_by_role("heading", name="Welcome to Aftercare")).to_be_visible()
    expect(page.get_by_text("Choose a password for jo.patient@example.test.")).to_be_visible()
    jo.check("invitation")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()

    # Sign in.
    expect(page.get_by_text("Your password is set. Sign in to continue.")).to_be_visible()
    jo.check("sign-in")
    page.get_by_label("Email").fill("jo.patient@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Jo")).to_be_visible()
    expect(page.get_by_role("heading", name="Day 1 since your procedure")).to_be_visible()
    jo.check("dashboard")

    # Two-factor authentication is optional for a patient and offered on the home page.
    expect(page.get_by_role("heading", name="Extra protection for your account (optional)")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor authentication").click()
    # Jo signed in a moment ago: no second password prompt before the set-up.
    expect(page.get_by_role("heading", name="Confirm it is you")).to_have_count(0)
    # On a phone: "Set up on this phone" opens the app (otpauth://); the key is also
    # written in groups of four, with a copy button.
    expect(page.get_by_role("link", name="Set up on this phone")).to_have_attribute(
        "href", re.compile(r"^otpauth://totp/")
    )
    grouped = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", grouped)
    secret = grouped.replace(" ", "")
    expect(page.get_by_role("button", name="Copy key")).to_be_visible()
    jo.check("mfa-setup")
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    jo.check("mfa-recovery-codes")
    # The recovery-codes page leads on.
    page.get_by_role("link", name="Continue to Aftercare").click()
    expect(page.get_by_role("heading", name="Extra protection for your account (optional)")).to_have_count(0)

    # A day-1 diary entry with a fever of 38.4 °C.
    nav.get_by_role("link", name="Diary").click()
    expect(page.get_by_role("heading", name="How do you feel right now?")).to_be_visible()
    jo.check("diary-form")
    page.get_by_role("group", name="Headache").get_by_label("3", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_label("2", exact=True).check()
    page.get_by_label("Temperature (optional)").fill("38.4")
    # Every yes/no question starts unanswered and must be answered (here: all "No").
    questions = page.locator("fieldset.question")
    expect(questions.locator("input:checked")).to_have_count(0)
    for radio in questions.locator("input[value=no]").all():
        radio.check()
    page.get_by_role("button", name="Save entry").click()

    # What to do comes first, as the page's heading: contact the care team.
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact your care team today")
    expect(page.get_by_text("Your entry is saved.")).to_be_visible()
    first_card = page.locator(".recommendation").first
    expect(first_card).to_contain_text("38.4 °C")
    expect(first_card).to_contain_text("Your care team has been alerted.")
    assert main_text(page).index("Contact your care team today") < main_text(page).index("You logged")
    jo.check("diary-result")

    # The trend: the reading is on the temperature chart, marked as a fever.
    page.get_by_role("link", name="See your trend and history").click()
    expect(page.get_by_role("heading", name="Your symptoms over time")).to_be_visible()
    fever_chart = page.get_by_role(
        "img", name=re.compile(r"latest 38\.4 °C.* 1 at or above the fever line of 38\.0 °C")
    )
    expect(fever_chart).to_be_visible()
    # The legend's diamond, and one on the reading itself.
    expect(fever_chart.locator("path[d^='M']")).to_have_count(2)
    jo.check("history")

    # A message to the care team.
    nav.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", name="Write to your care team")).to_be_visible()
    jo.check("messages")
    expect(page.get_by_text("Messages are for non-urgent questions.")).to_be_visible()
    page.get_by_label("Subject (optional)").fill("Fever this morning")
    page.get_by_label("Message", exact=True).fill("I measured 38.4 this morning. Should I come in?")
    page.get_by_role("button", name="Send").click()
    # A fever is a red flag (CLINICAL.md section 8): the urgent instruction and the diary
    # come first, the message is kept as typed, and Jo may still send it.
    warning = page.get_by_role("alert").filter(has_text="Not sent yet")
    expect(warning).to_contain_text("This needs medical attention now. Call 911")
    expect(warning.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(warning.get_by_role("link", name="Log it in your diary")).to_have_attribute("href", "/diary/")
    expect(page.get_by_label("Message", exact=True)).to_have_value("I measured 38.4 this morning. Should I come in?")
    jo.check("messages-red-flag")
    page.get_by_role("button", name="Send anyway").click()
    expect(page.get_by_role("heading", name="Fever this morning")).to_be_visible()
    expect(page.locator(".msg.mine")).to_contain_text("Not read yet")
    jo.check("thread")

    # Dr Lee opens it; Jo sees it was read.
    lee = open_browser("clinician")
    use_session_of(lee, clinician)
    lee.go(path_of(page))
    expect(lee.page.get_by_text("I measured 38.4 this morning.")).to_be_visible()
    page.reload()
    expect(page.locator(".msg.mine")).to_contain_text(re.compile("Read by your care team: Robin Lee"))
    jo.check("thread-read")

    # Dr Lee releases Jo's CSF report; Jo reads it, with the explanations.
    report = upload_lab_report(
        uploaded_by=clinician,
        patient=patient,
        kind="csf",
        collected_at=timezone.now() - timedelta(hours=25),
        values=[
            {"analyte": "opening_pressure", "value": 180, "unit": "mmH2O"},
            {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
            {"analyte": "csf_protein", "value": 52, "unit": "mg/dL"},
        ],
        file_content=b"CSF analysis\nWhite cells 3 /uL\nProtein 52 mg/dL\n",
        file_name="csf.txt",
    )
    release_lab_report(report=report, released_by=clinician)
    nav.locator("summary", has_text="More").click()  # the bar holds four items and "More"
    nav.get_by_role("link", name="Lab results").click()
    expect(page.get_by_text(re.compile(r"CSF protein: \W*above the usual range"))).to_be_visible()
    jo.check("labs")
    page.get_by_role("link", name=re.compile("CSF report, collected")).click()
    expect(page.get_by_role("heading", name="CSF lab report")).to_be_visible()
    wbc = page.locator("article.lab-value", has=page.get_by_role("heading", name=re.compile("White blood cells")))
    expect(wbc).to_contain_text("In the usual range")
    protein = page.locator("article.lab-value", has=page.get_by_role("heading", name="Protein in spinal fluid"))
    expect(protein).to_contain_text("Above the usual range")
    expect(protein).to_contain_text(re.compile(r"Your value is 52 mg/dL, above the usual range \(15.45 mg/dL\)"))
    wbc.get_by_text("What this test means").click()
    expect(wbc.get_by_text(re.compile("white blood cells, the cells that fight infection"))).to_be_visible()
    jo.check("lab-report")

    # Temperatures in °F from now on.
    page.locator("header details.usermenu summary").click()
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    jo.check("settings")
    page.get_by_label("°F (Fahrenheit)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    nav.locator("summary", has_text="More").click()
    nav.get_by_role("link", name="History").click()
    expect(page.locator(".entry-list")).to_contain_text("101.1 °F")
    expect(page.get_by_role("img", name=re.compile(r"latest 101\.1 °F.* fever line of 100\.4 °F"))).to_be_visible()
    jo.check("history-fahrenheit")
    nav.get_by_role("link", name="Diary").click()
    expect(page.get_by_role("radio", name="°F")).to_be_checked()
