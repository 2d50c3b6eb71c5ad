"""What a patient reads when an entry needs care (CLINICAL.md, severity levels, section 7).

Every urgent text starts with the emergency instruction, unconditional, with a tap-to-call
link (and the clinic's phone beside it); a contact_provider text offers the clinic's
phone as a tap-to-call link; the page says who will see the alert and, when the clinic
is closed, says so and repeats the emergency instruction.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from alerts.models import Alert, AlertRule
from alerts.services import evaluate_entry
from patients.models import CareTeamGrant, SymptomEntry
from portal.clinic.models import ClinicSettings
from portal.outbox.delivery import deliver_due_notifications
from tests.factories import ClinicianFactory, PatientFactory, SymptomEntryFactory
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db

INSTRUCTION = "This needs medical attention now. Call 911 or go to the nearest emergency department."
POISON_CONTROL = "Call Poison Control"
CLINIC_PHONE = "+1 555 0100"
WEDNESDAY_10AM = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # open (Monday-Friday 08:00-17:00 UTC)
SATURDAY_10AM = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # closed


@pytest.fixture(autouse=True)
def clinic_phone():
    ClinicSettings.objects.filter(pk=1).update(phone=CLINIC_PHONE, oncall_email="oncall@clinic.test")


def text_of(markup: str) -> str:
    """The words of an HTML fragment, one space between them."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def section(page: str, severity: str) -> str:
    match = re.search(rf'<section[^>]*class="[^"]*severity-{severity}\b.*?</section>', page, flags=re.S)
    assert match, f"no {severity} section on the page"
    return match.group(0)


def diary_post(**changes) -> dict:
    data = {"back_pain": "3", "headache": "3", "temperature": "", "temperature_unit": "C", "notes": ""}
    data.update({name: "no" for name in SymptomEntry.YES_NO_FIELDS})
    data.update(changes)
    return data


def diary_result(patient, **answers) -> str:
    client = Client()
    sign_in(client, patient.user)
    response = client.post("/diary/", diary_post(**answers))
    assert response.status_code == 200
    return response.content.decode()


def with_care_team():
    patient = PatientFactory()
    CareTeamGrant.objects.create(patient=patient, clinician=ClinicianFactory(mfa=False))
    return patient


# --- The diary's result page ------------------------------------------------------------------


@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_urgent_result_starts_with_the_emergency_instruction_and_tap_to_call():
    """Issue 13: the urgent text said to call the emergency number only 'if you cannot
    reach us', and no page had a tap-to-call action or the clinic's phone."""
    page = diary_result(with_care_team(), leg_weakness="yes")
    urgent = section(page, "urgent")
    words = text_of(urgent)
    assert INSTRUCTION in words
    assert words.index(INSTRUCTION) < words.index("You reported")
    assert 'href="tel:911"' in urgent
    assert 'href="tel:+15550100"' in urgent and CLINIC_PHONE in words
    assert "cannot reach us" not in page
    assert "Your care team has been alerted" in words


@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_contact_provider_result_offers_the_clinics_phone():
    page = diary_result(with_care_team(), vomiting="yes")
    contact = section(page, "contact_provider")
    assert 'href="tel:+15550100"' in contact
    assert "Call the clinic" in text_of(contact)


@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_without_a_care_team_the_page_names_the_oncall_team():
    ClinicianFactory(mfa=False, is_triage=True)
    words = text_of(section(diary_result(PatientFactory(), leg_weakness="yes"), "urgent"))
    assert "The clinic's on-call team has been alerted" in words
    assert "Your care team has been alerted" not in words


@time_machine.travel(SATURDAY_10AM, tick=False)
def test_when_the_clinic_is_closed_the_page_says_so_and_repeats_the_instruction():
    words = text_of(section(diary_result(with_care_team(), leg_weakness="yes"), "urgent"))
    assert "The clinic is closed now" in words
    assert "Monday" in words  # when it opens again
    assert words.lower().count("call 911 or go to the nearest emergency department") == 2


@time_machine.travel(SATURDAY_10AM, tick=False)
def test_a_contact_provider_result_when_closed_repeats_the_emergency_instruction():
    words = text_of(section(diary_result(with_care_team(), vomiting="yes"), "contact_provider"))
    assert "The clinic is closed now" in words
    assert "call 911 or go to the nearest emergency department" in words.lower()


@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_the_emergency_number_is_the_clinics():
    ClinicSettings.objects.filter(pk=1).update(emergency_number="112")
    urgent = section(diary_result(with_care_team(), leg_weakness="yes"), "urgent")
    assert 'href="tel:112"' in urgent and "Call 112" in text_of(urgent)
    assert "911" not in urgent


def test_the_api_recommendation_starts_with_the_instruction(client_for):
    patient = with_care_team()
    body = {"back_pain": 2, "headache": 2, **{name: False for name in SymptomEntry.YES_NO_FIELDS}}
    body["leg_weakness"] = True
    answer = client_for(patient.user).post("/api/v1/symptoms/", body, format="json").json()
    assert answer["recommendations"][0]["message"].startswith(INSTRUCTION)


# --- The alert pages ----------------------------------------------------------------------------


@time_machine.travel(WEDNESDAY_10AM, tick=False)
def test_the_patients_alert_page_starts_with_the_instruction(client_for):
    patient = with_care_team()
    evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    alert = Alert.objects.get()
    page = client_for(patient.user).get(f"/alerts/{alert.pk}/").content.decode()
    urgent = section(page, "urgent")
    assert text_of(urgent).index(INSTRUCTION) < text_of(urgent).index("You reported")
    assert 'href="tel:911"' in urgent and 'href="tel:+15550100"' in urgent
    assert "Your care team has been alerted" in text_of(urgent)


# --- The rules' own words -----------------------------------------------------------------------


def test_every_urgent_rule_text_starts_with_a_call_instruction():
    for rule in AlertRule.objects.all():
        texts = []
        if rule.severity == "urgent":
            texts.append(rule.patient_message)
        if rule.variant_severity == "urgent":
            texts.append(rule.variant_patient_message or rule.patient_message)
        for text in texts:
            starts = text.startswith("This needs medical attention now. Call {emergency_number}")
            assert starts or text.startswith(POISON_CONTROL), f"{rule.code}: {text!r}"
            assert "cannot reach us" not in text and "has been alerted" not in text


# --- Emails: no health data, so the instruction and a link ----------------------------------------


def test_the_patients_urgent_email_starts_with_the_instruction_and_a_tel_link(mailoutbox):
    patient = with_care_team()
    evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    deliver_due_notifications()
    (email,) = [m for m in mailoutbox if m.to == [patient.user.email]]
    assert email.body.startswith(INSTRUCTION)
    assert "tel:911" in email.body
    assert "cannot reach us" not in email.body


def test_the_patients_contact_email_offers_the_clinics_phone(mailoutbox):
    patient = with_care_team()
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.4")))
    deliver_due_notifications()
    (email,) = [m for m in mailoutbox if m.to == [patient.user.email]]
    assert CLINIC_PHONE in email.body and "tel:+15550100" in email.body


@time_machine.travel(SATURDAY_10AM, tick=False)
def test_when_the_clinic_opens_is_told_in_the_readers_time_zone(client_for):
    """The clinic opens Monday 08:00 in its own zone (here New York, 13:00 UTC); a patient
    in London reads 13:00 on every page, the alert page as well as the diary's."""
    ClinicSettings.objects.filter(pk=1).update(time_zone="America/New_York")
    patient = with_care_team()
    patient.user.time_zone = "Europe/London"
    patient.user.save(update_fields=["time_zone"])
    evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    page = client_for(patient.user).get(f"/alerts/{Alert.objects.get().pk}/").content.decode()
    assert "it opens again Monday 7 Dec at 13:00" in text_of(section(page, "urgent"))
