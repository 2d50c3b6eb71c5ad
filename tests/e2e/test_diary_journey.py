"""The diary in a real browser, phone and desktop (CLINICAL.md sections 1 and 2 of
2026-12-05): nothing is pre-answered, a question left out is named beside it and nothing
is saved, an entry that fires nothing is not told "nothing to act on" and always sees
when to get help, and the most serious instruction comes first, the others below it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import SymptomEntry
from tests.e2e.helpers import main_text, use_session_of
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def pick(page, field: str, value: str) -> None:
    """Tap a choice as a person does: on its label (the radio itself is drawn under it)."""
    page.locator(f"label[for=id_{field}_{value}]").click()


def test_diary_journey(open_browser):
    sam = PatientFactory(
        user__email="sam@example.test",
        user__first_name="Sam",
        user__last_name="Reyes",
        procedure=timezone.now() - timedelta(hours=30),
    )
    CareTeamGrantFactory(patient=sam, clinician=ClinicianFactory())
    person = open_browser("patient")
    use_session_of(person, sam.user)
    page = person.go("/diary/")
    questions = page.locator("fieldset.question")
    expect(questions.filter(has_text="fit or seizure")).to_have_count(1)
    expect(questions.filter(has_text="do not fade when you press a glass")).to_have_count(1)
    expect(questions.locator("input:checked")).to_have_count(0)  # nothing pre-answered
    person.check("diary-form")

    # Scores only: every question left out is named beside it; nothing is saved.
    pick(page, "headache", "2")
    pick(page, "back_pain", "1")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("fieldset.question.has-error")).to_have_count(questions.count())
    expect(page.locator("fieldset.question .error").first).to_contain_text("cannot be left out")
    assert SymptomEntry.objects.count() == 0
    person.check("diary-form-unanswered")

    # Every question answered "No": no warning sign, and when to get help, always.
    for radio in page.locator("fieldset.question input[value=no]").all():
        radio.check()
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("heading", name="Your entry is saved")).to_be_visible()
    text = main_text(page)
    assert "nothing to act on" not in text.lower()
    assert "No warning sign was found in what you entered." in text
    help_box = page.get_by_role("region", name="When to get help")
    expect(help_box).to_be_visible()
    for sign in ("seizure", "rash", "stiff neck", "confusion", "bladder", "weakness", "38.0 °C (100.4 °F)"):
        expect(help_box).to_contain_text(sign)
    person.check("diary-result-no-warning")

    # A seizure, a fever and a stiff neck: the urgent instruction first, the rest below.
    page.get_by_role("link", name="Log another entry").click()
    pick(page, "headache", "5")
    pick(page, "back_pain", "2")
    page.get_by_label("Temperature (optional)").fill("38.6")
    for radio in page.locator("fieldset.question input[value=no]").all():
        radio.check()
    for question in ("fit or seizure", "Is your neck stiff"):
        questions.filter(has_text=question).get_by_label("Yes").check()
    page.get_by_role("button", name="Save entry").click()
    cards = page.locator(".recommendation")
    expect(cards.first).to_contain_text("Urgent")
    expect(cards.first).to_contain_text(re.compile("emergency", re.I))
    expect(page.locator(".recommendation-more").first).to_be_visible()
    expect(page.get_by_role("heading", name="Also from this entry")).to_be_visible()
    expect(page.get_by_role("region", name="When to get help")).to_be_visible()
    person.check("diary-result-urgent")
    assert SymptomEntry.objects.count() == 2
