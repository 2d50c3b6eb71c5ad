"""Forms by keyboard alone: Tab, arrow keys, typing, Space and Enter; never a click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from patients.questions import YES_NO_FIELDS
from tests.e2e.helpers import TEST_PASSWORD, main_text, totp_code, use_session_of
from tests.factories import ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# What has the focus, and can a sighted keyboard user see it: on screen, not
# covered (the diary's sticky save bar), with a focus ring on it or on the
# styled choice that stands for a visually hidden radio button.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.matches('.choice input') ? el.nextElementSibling : el;
  const box = shown.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 20);
  const hit = document.elementFromPoint(x, y);
  const uncovered = !!hit && (hit === shown || shown.contains(hit) || hit.contains(shown)
      || (el.labels && [...el.labels].some(label => label.contains(hit))));
  const style = getComputedStyle(shown);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', value: el.value || '',
          text: (el.innerText || '').trim(), uncovered, ring,
          inView: box.bottom > 0 && box.top < window.innerHeight};
}"""


def test_diary_form_by_keyboard_alone(open_browser):
    patient = PatientFactory(user__email="kim@example.test", user__first_name="Kim")
    kim = open_browser("patient")
    use_session_of(kim, patient.user)
    page = kim.go("/diary/")
    expect(page.get_by_role("heading", name="How do you feel right now?")).to_be_visible()
    controls = set(
        page.eval_on_selector_all(
            "main form input:not([type=hidden]), main form textarea, main form select",
            "els => els.map(el => el.name)",
        )
    )

    reached, unseen_focus = set(), []
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if not (focused["inView"] and focused["uncovered"] and focused["ring"]):
            unseen_focus.append(focused)
        name = focused["name"]
        reached.add(name)
        if name == "headache":
            page.keyboard.press("Space")  # 0
            for _ in range(6):
                page.keyboard.press("ArrowRight")  # ... 6
        elif name == "back_pain":
            page.keyboard.press("Space")
            for _ in range(2):
                page.keyboard.press("ArrowRight")  # 2
        elif name == "temperature":
            page.keyboard.type("38.4")
        elif name == "positional_headache":
            page.keyboard.press("Space")  # nothing is pre-selected: No ...
            page.keyboard.press("ArrowRight")  # ... -> Yes
        elif name in YES_NO_FIELDS:
            page.keyboard.press("Space")  # every question answered: No
        elif name == "notes":
            page.keyboard.type("Worse when I sit up.")
        elif focused["tag"] == "button" and focused["text"] == "Save entry":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail(f"Tab never reached the Save entry button; reached {sorted(reached)}")

    assert controls - reached - {"recorded_at"} == set(), "controls Tab never reached"
    assert not unseen_focus, f"focus not visible on: {unseen_focus}"
    expect(page.get_by_role("heading", name="Contact your care team today")).to_be_visible()
    expect(page.get_by_text("Your entry is saved.")).to_be_visible()
    expect(page.locator(".recommendation").first).to_contain_text(re.compile("contact your care team", re.I))
    logged = main_text(page)
    for seen in (
        "Headache 6/10",
        "Back pain 2/10",
        "Temperature 38.4 °C",
        "headache worse upright",
        "Worse when I sit up.",
    ):
        assert seen in logged
    kim.check("diary-result-keyboard")


def test_sign_in_with_a_code_by_keyboard_alone(open_browser):
    clinician = ClinicianFactory(email="dr.keys@clinic.test", mfa=False)
    secret = enable_totp(clinician)
    lee = open_browser("clinician")
    page = lee.go("/accounts/login/")

    def tab_to(predicate, limit=40):
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused and predicate(focused):
                return focused
        pytest.fail("Tab never reached the control")

    tab_to(lambda f: f["name"] == "login")
    page.keyboard.type("dr.keys@clinic.test")
    tab_to(lambda f: f["name"] == "password")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    code = page.get_by_label(re.compile("code", re.I))
    expect(code).to_be_visible()
    tab_to(lambda f: f["name"] == "code")
    page.keyboard.type(totp_code(secret))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Hello"))).to_be_visible()
