"""The patient's phone number: given at enrolment, shown to the care team as a
tap-to-call link on the chart (issue 16, point 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from patients.models import Patient
from portal.audit.models import AuditEvent
from tests.patients.test_enrolment import URL, enrolment

pytestmark = pytest.mark.django_db


def test_enrolment_takes_a_phone_number(clinician_api):
    response = clinician_api.post(URL, enrolment(phone=" +1 (555) 010-0123 "), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+1 (555) 010-0123"
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.phone_href == "tel:+15550100123"


def test_the_phone_number_is_optional(clinician_api):
    response = clinician_api.post(URL, enrolment(), format="json")
    assert response.status_code == 201
    assert response.json()["phone"] == ""


@pytest.mark.parametrize("phone", ["call me", "12", "+1 555 <script>", 5550100])
def test_a_phone_number_that_is_not_one_is_a_400_naming_it_and_saves_nothing(clinician_api, phone):
    before = Patient.objects.count()
    response = clinician_api.post(URL, enrolment(phone=phone), format="json")
    assert response.status_code == 400
    assert "phone" in response.json()
    assert Patient.objects.count() == before


def test_the_enrolment_form_takes_a_phone_number(client_for, clinician):
    clinician_web = client_for(clinician)
    data = {
        "email": "web.enrol@example.test",
        "first_name": "Web",
        "last_name": "Enrol",
        "date_of_birth": "1990-01-02",
        "sex": "male",
        "phone": "555 010 0177",
        "performed_at": (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "needle_type": "cutting",
        "needle_gauge": "20",
        "passes": "2",
    }
    response = clinician_web.post("/patients/enrol/", data)
    assert response.status_code == 302
    assert Patient.objects.get(user__email="web.enrol@example.test").phone == "555 010 0177"


# --- The patient keeps it up to date (issue 16 leftovers) ------------------------------------


def test_the_patient_changes_their_phone_on_the_settings_page(client_for, patient):
    client = client_for(patient.user)
    page = client.get("/settings/").content.decode()
    assert 'action="/settings/phone/"' in page and 'autocomplete="tel"' in page
    response = client.post("/settings/phone/", {"phone": " +44 20 7946 0018 "}, follow=True)
    assert "Phone number saved." in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == "+44 20 7946 0018"
    assert AuditEvent.objects.filter(action="patient.phone_updated", actor=patient.user).count() == 1
    # The settings page shows the number now on file.
    assert 'value="+44 20 7946 0018"' in client.get("/settings/").content.decode()


def test_a_wrong_number_on_the_page_is_shown_with_its_reason_and_nothing_changes(client_for, patient):
    Patient.objects.filter(pk=patient.pk).update(phone="555 010 0100")
    response = client_for(patient.user).post("/settings/phone/", {"phone": "call me maybe"})
    assert response.status_code == 200
    assert "Give a phone number of digits" in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == "555 010 0100"


def test_an_empty_number_removes_it(client_for, patient):
    Patient.objects.filter(pk=patient.pk).update(phone="555 010 0100")
    response = client_for(patient.user).post("/settings/phone/", {"phone": ""}, follow=True)
    assert "Phone number removed." in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone == ""


def test_the_phone_section_is_for_patients_only(client_for, clinician):
    client = client_for(clinician)
    assert "/settings/phone/" not in client.get("/settings/").content.decode()
    assert client.post("/settings/phone/", {"phone": "555 010 0100"}).status_code in (302, 403, 404)


def test_the_patient_changes_it_through_the_api(client_for, patient):
    client = client_for(patient.user)
    response = client.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "555-010-0199"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "555-010-0199"


@pytest.mark.parametrize("phone", ["call me", "12", 5550100, "1" * 31])
def test_a_bad_number_through_the_api_is_a_400_naming_it(client_for, patient, phone):
    client = client_for(patient.user)
    response = client.patch(f"/api/v1/patients/{patient.pk}/", {"phone": phone}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    patient.refresh_from_db()
    assert patient.phone == ""


def test_phone_and_health_in_one_patch_are_saved_together_or_not_at_all(client_for, patient):
    client = client_for(patient.user)
    response = client.patch(
        f"/api/v1/patients/{patient.pk}/", {"phone": "555 010 0111", "health": {"asthma": "perhaps"}}, format="json"
    )
    assert response.status_code == 400 and "asthma" in response.json()
    patient.refresh_from_db()
    assert patient.phone == ""  # the valid phone was not half-saved


def test_another_patients_profile_is_a_404(client_for, patient, other_patient):
    response = client_for(patient.user).patch(
        f"/api/v1/patients/{other_patient.pk}/", {"phone": "555 010 0111"}, format="json"
    )
    assert response.status_code == 404
    other_patient.refresh_from_db()
    assert other_patient.phone == ""


def test_the_fhir_patient_carries_the_phone_as_telecom(client_for, patient):
    client = client_for(patient.user)
    bundle = client.get(f"/fhir/R4/Patient/{patient.pk}/$everything").json()
    resource = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert [t["system"] for t in resource["telecom"]] == ["email"]  # none on file: none sent
    Patient.objects.filter(pk=patient.pk).update(phone="+1 (555) 010-0123")
    bundle = client.get(f"/fhir/R4/Patient/{patient.pk}/$everything").json()
    resource = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert {"system": "phone", "value": "+1 (555) 010-0123"} in resource["telecom"]
