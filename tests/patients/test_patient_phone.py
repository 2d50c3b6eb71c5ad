"""The patient's phone number: given at enrolment, shown to the care team as a
tap-to-call link on the chart (issue 16, point 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from patients.models import Patient
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
