"""The patient on a phone (issue 17), at 390x844: a red-flag entry leads with one
instruction and a call button; a banner follows on every page until a clinician has
seen the alert; the idle time-out warns first, and what was typed when the session had
ended comes back after signing in again (kept in the tab only, then cleared)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from alerts.services import acknowledge_alert
from patients.services import enrol_patient
from portal.accounts.sessions import LAST_SEEN
from tests.e2e.helpers import TEST_PASSWORD, main_text, sign_in
from tests.factories import ClinicianFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TAP_TARGETS = (Path(__file__).parent / "tap_targets.js").read_text()
PATIENT_PAGES = [
    "/",
    "/diary/",
    "/history/",
    "/medications/",
    "/messages/",
    "/alerts/",
    "/labs/",
    "/pain-plan/",
    "/pain-plan/health/",
    "/care-team/",
    "/access-log/",
    "/settings/",
]
DRAFT_KEYS = "Object.keys(sessionStorage).filter(k => k.startsWith('aftercare-draft:'))"


def end_session_of(person) -> None:
    """The server forgets nothing but time: the session's last activity an hour ago,
    as if the phone had lain on the table (no timed wait in a test)."""
    cookie = next(c for c in person.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session[LAST_SEEN] = time.time() - 3600
    session.save()


def answer_every_question_no(page) -> None:
    for radio in page.locator("fieldset.question input[value=no]").all():
        radio.check()


@pytest.fixture
def jo(open_browser):
    clinician = ClinicianFactory(email="dr.quinn@clinic.test", first_name="Nora", last_name="Quinn")
    patient = enrol_patient(
        enrolled_by=clinician,
        email="jo.phone@example.test",
        first_name="Jo",
        last_name="Rivera",
        date_of_birth="1985-03-02",
        sex="female",
        procedure={
            "performed_at": (timezone.now() - timedelta(hours=30)).isoformat(),
            "needle_type": "atraumatic",
            "needle_gauge": 22,
        },
    )
    # Jo accepted the invitation already (the journey in test_patient_journey.py walks it).
    patient.user.set_password(TEST_PASSWORD)
    patient.user.save()
    EmailAddress.objects.update_or_create(
        user=patient.user, email=patient.user.email, defaults={"verified": True, "primary": True}
    )
    person = open_browser("patient-phone")
    person.clinician = clinician
    person.patient = patient
    return person


@pytest.mark.parametrize("viewport", ["phone"])
def test_a_red_flag_entry_leads_with_the_call_and_a_banner_follows(jo):
    page = jo.page
    sign_in(page, "jo.phone@example.test")
    expect(page.locator(".alert-banner")).to_have_count(0)

    # A fever of 38.6 °C with a stiff neck.
    jo.go("/diary/")
    page.get_by_role("group", name="Headache").get_by_label("6", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_label("2", exact=True).check()
    page.get_by_label("Temperature (optional)").fill("38.6")
    answer_every_question_no(page)
    page.locator("fieldset.question").filter(has_text="Is your neck stiff").get_by_label("Yes").check()
    page.get_by_role("button", name="Save entry").click()

    # The page's heading is the one instruction; the call button is right under it.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^This needs medical attention now\. Call 911"))
    lead = page.locator(".recommendation-lead")
    expect(lead.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(lead).to_contain_text("Your care team has been alerted.")
    expect(page.get_by_text("Your entry is saved.")).to_be_visible()
    # The call is on the first screen of a phone, without scrolling.
    call_box = lead.get_by_role("link", name="Call 911").bounding_box()
    assert call_box["y"] + call_box["height"] <= 844
    # The fever's own advice is below, visibly smaller.
    more = page.locator(".recommendation-more").first
    expect(more).to_contain_text("38.6 °C")
    size = lambda locator: float(locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))  # noqa: E731
    assert size(more) < size(heading) * 0.7
    assert main_text(page).index("This needs medical attention now") < main_text(page).index("Also from this entry")
    jo.check("diary-result-urgent")

    # Every page then carries the banner until a clinician has seen it.
    for path in ("/", "/history/", "/messages/", "/labs/"):
        jo.go(path)
        banner = page.locator(".alert-banner-urgent")
        expect(banner).to_contain_text("is not yet seen by your care team")
        expect(banner.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    jo.check("home-urgent-banner")

    alert = Alert.objects.get(severity="urgent")
    acknowledge_alert(alert=alert, by=jo.clinician)
    alert.refresh_from_db()
    page.reload()
    expect(page.locator(".alert-banner-urgent")).to_have_count(0)
    seen = page.locator(".alert-banner-seen")
    expect(seen).to_contain_text(f"was seen by Nora Quinn at {alert.acknowledged_at:%H:%M}")
    jo.check("home-alert-seen")


@pytest.mark.parametrize("viewport", ["phone"])
def test_the_time_out_warns_first_and_loses_nothing_typed(jo):
    page = jo.page
    sign_in(page, "jo.phone@example.test")

    # Two minutes before the 15-minute idle time-out: a warning and "Stay signed in".
    page.clock.install()
    jo.go("/diary/")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("12:50")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("00:20")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("You will be signed out in 2 minutes")
    jo.check("session-warning")
    before = SessionStore(session_key=page.context.cookies()[0]["value"]).get(LAST_SEEN)
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    cookie = next(c for c in jo.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    assert SessionStore(session_key=cookie["value"])[LAST_SEEN] > (before or 0)

    # A diary entry typed, then the session ends before Save.
    page.get_by_role("group", name="Headache").get_by_label("7", exact=True).check()
    page.get_by_role("group", name="Back pain").get_by_label("3", exact=True).check()
    answer_every_question_no(page)
    page.get_by_label("Anything else? (optional)").fill("Pounding headache since lunch, worse sitting up.")
    end_session_of(jo)
    page.get_by_role("button", name="Save entry").click()

    # The sign-in page says nothing was saved and that it is kept in this tab.
    expect(page.get_by_role("heading", name="Sign in to Aftercare")).to_be_visible()
    expect(page.locator("#draft-notice")).to_contain_text("What you typed was not saved because you were signed out")
    assert len(page.evaluate(DRAFT_KEYS)) == 1
    jo.check("sign-in-draft-kept")
    page.get_by_label("Email").fill("jo.phone@example.test")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Back on the diary, with every answer as typed and a notice.
    expect(page.get_by_role("heading", name="How do you feel right now?")).to_be_visible()
    expect(page.locator("#draft-notice")).to_contain_text("You were signed out before this was saved")
    expect(page.get_by_label("Anything else? (optional)")).to_have_value(
        "Pounding headache since lunch, worse sitting up."
    )
    expect(page.get_by_role("group", name="Headache").get_by_label("7", exact=True)).to_be_checked()
    expect(page.locator("fieldset.question input[value=no]:checked")).to_have_count(
        page.locator("fieldset.question").count()
    )
    jo.check("diary-restored")

    # Saved: the copy in the tab is gone (on the result page itself).
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("heading", name="Your entry is saved")).to_be_visible()
    assert page.evaluate(DRAFT_KEYS) == []
    page.reload()
    assert page.evaluate(DRAFT_KEYS) == []

    # A message typed when the session had ended: kept; signing out clears it.
    jo.go("/messages/")
    page.get_by_label("Message", exact=True).fill("Can I take a shower with the plaster on?")
    end_session_of(jo)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#draft-notice")).to_contain_text("What you typed was not saved")
    sign_in(page, "jo.phone@example.test")
    jo.go("/messages/")
    expect(page.get_by_label("Message", exact=True)).to_have_value("Can I take a shower with the plaster on?")
    assert len(page.evaluate(DRAFT_KEYS)) == 1
    page.locator("header details.usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Aftercare")).to_be_visible()
    assert page.evaluate(DRAFT_KEYS) == []


@pytest.mark.parametrize("viewport", ["phone"])
def test_one_thumb_is_enough(jo):
    """Five items at most in the bar along the bottom, the medication log one tap from
    home, and every link, button and control at least 44x44 px on every patient page
    (inline links in a sentence excepted, as WCAG does)."""
    page = jo.page
    sign_in(page, "jo.phone@example.test")
    nav = page.get_by_role("navigation", name="Main")
    bar = nav.locator(":scope > ul > li")
    assert bar.count() <= 5
    box = nav.bounding_box()
    assert box["y"] + box["height"] >= 844 - 1 and box["y"] >= 844 - 100  # along the bottom edge

    nav.get_by_role("link", name="Medicines").click()
    expect(page.get_by_role("heading", name="Medication log")).to_be_visible()
    nav.locator("summary", has_text="More").click()
    for name in ("History", "My alerts", "Lab results", "Care team", "Pain plan"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    jo.check("more-menu-open")

    too_small = {}
    for path in PATIENT_PAGES:
        jo.go(path)
        small = page.evaluate(TAP_TARGETS, 44)
        if small:
            too_small[path] = small
    assert not too_small, f"tap targets under 44x44 px at 390x844: {too_small}"
