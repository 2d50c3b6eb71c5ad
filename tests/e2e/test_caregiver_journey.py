"""A caregiver in a real browser, on a phone (issue 20): the patient invites their
partner, who accepts the emailed link with a password of their own, logs a red-flag
entry on the patient's behalf; the patient sees it marked as entered by their
caregiver, ends the access (asked first), and the caregiver's next page is a 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alert
from patients.models import CaregiverGrant, SymptomEntry
from tests.e2e.helpers import invitation_path, main_text, sign_in
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Kettle-on-the-landing-42"
CASEY = "casey.lin@example.test"


def pick(page, field: str, value: str) -> None:
    page.locator(f"label[for=id_{field}_{value}]").click()


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_a_caregiver_is_invited_logs_for_the_patient_and_is_revoked(open_browser, mailoutbox):
    avery = PatientFactory(
        user__email="avery@example.test",
        user__first_name="Avery",
        user__last_name="Quinn",
        procedure=timezone.now() - timedelta(hours=20),
    )
    CareTeamGrantFactory(patient=avery, clinician=ClinicianFactory())

    # The patient invites Casey: may log symptoms, not message.
    patient = open_browser("patient")
    page = patient.page
    sign_in(page, "avery@example.test")
    patient.go("/caregivers/")
    expect(page.get_by_role("heading", name="Your caregivers")).to_be_visible()
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Lin")
    page.get_by_label("Their email address").fill(CASEY)
    page.get_by_label("May log symptoms for me").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Casey Lin is now your caregiver")).to_be_visible()
    expect(page.get_by_text("has not accepted the invitation yet")).to_be_visible()
    patient.check("caregivers-invited")

    # Casey accepts the emailed link with a password of their own, and signs in.
    casey = open_browser("caregiver")
    cpage = casey.page
    casey.go(invitation_path(mailoutbox, CASEY))
    cpage.get_by_label("Choose a password").fill(PASSWORD)
    cpage.get_by_label("Repeat the password").fill(PASSWORD)
    cpage.get_by_role("button", name="Set password").click()
    sign_in(cpage, CASEY, PASSWORD)
    expect(cpage.get_by_role("heading", name="People you help")).to_be_visible()
    casey.check("home")
    cpage.get_by_role("button", name="Avery Quinn").click()
    expect(cpage.get_by_role("heading", name="Avery's symptoms over time")).to_be_visible()
    expect(cpage.get_by_text("as their caregiver")).to_be_visible()
    casey.check("history-of-avery")

    # A red-flag entry for Avery: a fever and a stiff neck.
    cpage.get_by_role("link", name="Log how Avery feels now").click()
    expect(cpage.get_by_role("heading", name="How does Avery feel right now?")).to_be_visible()
    pick(cpage, "headache", "7")
    pick(cpage, "back_pain", "2")
    cpage.get_by_label("Temperature (optional)").fill("38.9")
    for radio in cpage.locator("fieldset.question input[value=no]").all():
        radio.check()
    cpage.locator("fieldset.question").filter(has_text="Is your neck stiff").get_by_label("Yes").check()
    casey.check("diary-for-avery")
    cpage.get_by_role("button", name="Save entry").click()
    expect(cpage.locator(".recommendation").first).to_contain_text("Urgent")
    casey.check("entry-saved-urgent")
    entry = SymptomEntry.objects.get(patient=avery)
    assert entry.entered_by.email == CASEY and entry.entered_by_role == "caregiver"
    assert Alert.objects.filter(patient=avery, severity="urgent").exists()

    # Avery sees it marked as entered by Casey.
    patient.go("/history/")
    expect(page.get_by_text("Entered by Casey Lin (caregiver)")).to_be_visible()
    patient.check("history-marked")

    # Avery ends Casey's access: asked first, then at once.
    patient.go("/caregivers/")
    page.get_by_role("link", name=re.compile("End Casey's access")).click()
    expect(page.get_by_role("heading", name="End Casey Lin's access?")).to_be_visible()
    patient.check("revoke-confirm")
    assert CaregiverGrant.objects.get().revoked_at is None
    page.get_by_role("button", name="Yes, end Casey Lin's access").click()
    expect(page.get_by_text("Casey Lin no longer has access to your record.")).to_be_visible()
    assert "Nobody yet" in main_text(page)

    # Casey's next page: 404.
    response = cpage.goto("/history/")
    assert response is not None and response.status == 404
    casey.check("after-revoke", enforce=False)
