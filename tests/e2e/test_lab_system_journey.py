"""A lab system connects, in a real browser at phone and desktop size: the admin adds
it in Django admin and copies its token from the page that shows it once; the lab
posts a FHIR transaction Bundle with that token; the clinician finds the received
report in the inbox, unreleased, with the value converted and flagged."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in
from tests.factories import AdminFactory, CareTeamGrantFactory, ClinicianFactory, PatientFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def bundle(patient_id: int) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:0b7a1c1e-0000-4000-8000-000000000001",
                "request": {"method": "POST", "url": "DiagnosticReport"},
                "resource": {
                    "resourceType": "DiagnosticReport",
                    "status": "final",
                    "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999", "value": "ACC-17"}],
                    "code": {"text": "CSF panel"},
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "effectiveDateTime": "2026-01-10T08:30:00Z",
                    "result": [{"reference": "urn:uuid:0b7a1c1e-0000-4000-8000-000000000002"}],
                },
            },
            {
                "fullUrl": "urn:uuid:0b7a1c1e-0000-4000-8000-000000000002",
                "request": {"method": "POST", "url": "Observation"},
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2880-3"}]},
                    "valueQuantity": {"value": 0.8, "system": "http://unitsofmeasure.org", "code": "g/L"},
                },
            },
        ],
    }


def test_an_admin_connects_a_lab_system_and_its_results_reach_the_care_team(open_browser, live_server):
    admin_user = AdminFactory(email="admin@clinic.test", first_name="Sam", mfa=False)
    admin_secret = enable_totp(admin_user)
    lee = ClinicianFactory(email="dr.lee@clinic.test", first_name="Robin", last_name="Lee", mfa=False)
    lee_secret = enable_totp(lee)
    patient = PatientFactory(user__email="kai@example.test", user__first_name="Kai", user__last_name="Moreno")
    CareTeamGrantFactory(patient=patient, clinician=lee)

    admin = open_browser("admin")
    page = admin.page
    sign_in(page, "admin@clinic.test", totp_secret=admin_secret)
    page.goto("/admin/")
    page.get_by_role("link", name=re.compile("Integration clients")).click()
    page.get_by_role("link", name=re.compile("Add integration client")).click()
    page.get_by_label("Name").fill("City Hospital lab")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Token of City Hospital lab")).to_be_visible()
    expect(page.get_by_text("Copy this token now: it is shown only once.")).to_be_visible()
    token = page.get_by_label("Token").input_value()
    assert token.startswith("afc_")
    admin.check("admin-lab-token", enforce=False)
    page.get_by_role("link", name="Back to the integration clients").click()
    expect(page.get_by_role("row", name=re.compile("City Hospital lab"))).to_contain_text(token[:10])
    assert token not in page.content()

    answer = httpx.post(
        f"{live_server.url}/fhir/R4/",
        content=json.dumps(bundle(patient.pk)),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"},
    )
    assert answer.status_code == 200, answer.text
    location = answer.json()["entry"][0]["response"]["location"]
    report_id = int(location.rsplit("-", 1)[1])

    clinician = open_browser("clinician")
    page = clinician.page
    sign_in(page, "dr.lee@clinic.test", totp_secret=lee_secret)
    page.goto("/inbox/")
    expect(page.get_by_text(re.compile("CSF report"))).to_be_visible()
    page.goto(f"/labs/reports/{report_id}/")
    expect(page.get_by_role("heading", name="CSF lab report")).to_be_visible()
    expect(page.get_by_text("from City Hospital lab")).to_be_visible()
    protein = page.locator("article.lab-value", has=page.get_by_role("heading", name="Protein in spinal fluid"))
    expect(protein).to_contain_text("80 mg/dL")
    expect(protein).to_contain_text("Above the usual range")
    clinician.check("received-report")
