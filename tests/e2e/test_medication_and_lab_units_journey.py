"""Issue 13, points 6 and 7 in a real browser, at phone and desktop size.

Sam logs medications: ibuprofen then naproxen (do not combine), too much caffeine
(Poison Control, with call links), and a dose with extra zeros (refused as a typing
error). Dr Lee uploads a CSF report through the form: a protein value without its
unit is sent back with the error beside it; in g/L it is converted and flagged high.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from labs.models import LabValue
from patients.models import MedicationDose
from tests.e2e.helpers import main_text, sign_in
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

POISON_CONTROL = "Call Poison Control (1-800-222-1222 in the US) or 911 now, even if you feel well."


@pytest.fixture
def people():
    lee = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee", mfa=False)
    secret = enable_totp(lee)
    sam = PatientFactory(user__email="sam@example.test", user__first_name="Sam", user__last_name="Reyes")
    CareTeamGrantFactory(patient=sam, clinician=lee)
    return {"lee": lee, "secret": secret, "sam": sam}


def log_dose(page, drug: str, mg: str) -> None:
    page.get_by_label(re.compile(drug)).check()
    page.get_by_label("How many mg?").fill(mg)
    page.get_by_role("button", name="Save dose").click()


def test_patient_logs_two_nsaids_an_overdose_and_a_typo(open_browser, people):
    sam = open_browser("patient")
    page = sam.page
    sign_in(page, "sam@example.test")
    page.goto("/medications/")
    expect(page.get_by_role("heading", name="Medication log")).to_be_visible()
    sam.check("medications")

    # Ibuprofen, then naproxen: two different NSAIDs within 24 hours.
    log_dose(page, "^Ibuprofen", "400")
    expect(page.get_by_text("Dose saved")).to_be_visible()
    log_dose(page, "^Naproxen", "220")
    warning = page.get_by_role("alert").filter(has_text="Contact your care team today")
    expect(warning).to_contain_text("Do not combine them")
    expect(warning).to_contain_text("ibuprofen and naproxen sodium")
    sam.check("two-nsaids")

    # Caffeine above the absolute maximum: Poison Control first, with call links.
    log_dose(page, "^Caffeine", "450")
    urgent = page.get_by_role("alert").filter(has_text="Urgent")
    expect(urgent).to_contain_text(POISON_CONTROL)
    expect(urgent.get_by_role("link", name=re.compile("Call Poison Control"))).to_have_attribute(
        "href", "tel:18002221222"
    )
    expect(urgent.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    sam.check("overdose")

    # Extra zeros: refused with a message beside the field, nothing saved.
    saved = MedicationDose.objects.count()
    log_dose(page, "^Acetaminophen 500 mg", "500000")
    expect(page.locator(".field.has-error")).to_contain_text("looks like a typing error")
    expect(page.locator(".field.has-error")).to_contain_text("Poison Control")
    assert MedicationDose.objects.count() == saved
    sam.check("typo")


def test_clinician_uploads_a_report_with_units(open_browser, people, tmp_path):
    lee = open_browser("clinician")
    page = lee.page
    sign_in(page, "dr.lee@clinic.test", totp_secret=people["secret"])
    page.goto(f"/labs/patients/{people['sam'].pk}/upload/")
    report_file = tmp_path / "csf.txt"
    report_file.write_text("CSF analysis\nProtein 0.8 g/L\nWhite cells 3 /uL\n")

    def fill_form():
        page.get_by_label("Report file").set_input_files(str(report_file))
        page.get_by_label("Collected at").fill("2026-01-10T08:30")
        page.get_by_label("White blood cells in spinal fluid (CSF WBC)").fill("3")
        page.get_by_label("Unit of CSF WBC").select_option("cells/µL")
        page.get_by_label("Protein in spinal fluid").fill("0.8")

    fill_form()
    lee.check("upload-form")
    page.get_by_role("button", name="Upload (encrypted)").click()  # the protein's unit is not chosen
    protein_row = page.locator(".lab-value-input", has=page.get_by_label("Protein in spinal fluid"))
    expect(protein_row).to_contain_text("The unit is missing; give it as mg/dL or g/L.")
    assert not LabValue.objects.exists()
    lee.check("upload-missing-unit")

    fill_form()
    page.get_by_label("Unit of CSF protein").select_option("g/L")
    page.get_by_role("button", name="Upload (encrypted)").click()
    expect(page.get_by_role("heading", name="CSF lab report")).to_be_visible()
    protein = page.locator("article.lab-value", has=page.get_by_role("heading", name="Protein in spinal fluid"))
    expect(protein).to_contain_text("80 mg/dL")
    expect(protein).to_contain_text("Above the usual range")
    wbc = page.locator("article.lab-value", has=page.get_by_role("heading", name=re.compile("White blood cells")))
    expect(wbc).to_contain_text("In the usual range")
    assert "reassuring" not in main_text(page).lower()
    lee.check("report-with-units")
