"""Issue 16 point 5 in a real browser, at phone and desktop size: Dr Lee enters a blood
culture result from her order (organism and "no growth" together is sent back with the
reason beside the result), releases it, and Sam reads it in plain words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from labs.models import BloodCultureResult
from labs.services import request_labs
from tests.e2e.helpers import main_text, sign_in
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def people():
    lee = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee", mfa=False)
    secret = enable_totp(lee)
    sam = PatientFactory(user__email="sam@example.test", user__first_name="Sam", user__last_name="Reyes")
    CareTeamGrantFactory(patient=sam, clinician=lee)
    order = request_labs(requested_by=lee, patient=sam, tests=["blood_culture"], reason="Fever on day 3.")
    return {"lee": lee, "secret": secret, "sam": sam, "order": order}


def test_a_blood_culture_is_entered_released_and_read(open_browser, people):
    lee = open_browser("clinician")
    page = lee.page
    sign_in(page, "dr.lee@clinic.test", totp_secret=people["secret"])
    page.goto(f"/labs/requests/{people['order'].pk}/")
    page.get_by_role("link", name="Enter a blood culture result").click()
    expect(page.get_by_role("heading", name="Blood culture result")).to_be_visible()
    lee.check("culture-form")

    drawn = (timezone.now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_role("radio", name=re.compile("Preliminary")).check()
    page.get_by_role("radio", name="No growth", exact=True).check()
    page.get_by_role("textbox", name="Organism").fill("Escherichia coli")
    page.get_by_label("Blood drawn at").fill(drawn)
    page.get_by_role("button", name="Save the result").click()
    expect(page.get_by_text("Give either the organism grown or no growth, not both.")).to_be_visible()
    assert not BloodCultureResult.objects.exists()
    lee.check("culture-form-error")

    page.get_by_role("textbox", name="Organism").fill("")
    page.get_by_role("button", name="Save the result").click()
    expect(page.get_by_text("No growth at 48 h (preliminary)")).to_be_visible()
    lee.check("culture-report")
    page.get_by_role("link", name="Release to the patient…").click()
    page.get_by_role("button", name="Release to Sam Reyes").click()
    expect(page.get_by_text("Released.")).to_be_visible()

    sam = open_browser("patient")
    page = sam.page
    sign_in(page, "sam@example.test")
    page.goto("/labs/")
    expect(page.get_by_text("Blood culture, preliminary result: no germs grew.")).to_be_visible()
    sam.check("labs-with-culture")
    page.get_by_role("link", name=re.compile("Blood report")).click()
    text = main_text(page)
    assert "No germs have grown in your blood culture after 48 hours." in text
    assert "final result follows" in text and "Download the report" not in text
    sam.check("culture-result")
