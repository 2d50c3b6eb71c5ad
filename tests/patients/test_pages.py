"""The pages: reachable by the right people, readable, and saving through the services."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from patients.models import CareTeamGrant, MedicationDose, Patient, SymptomEntry
from portal.audit.models import AuditEvent
from tests.factories import ClinicianFactory, SymptomEntryFactory
from tests.sessions import sign_in


@pytest.fixture
def web(patient):
    client = Client()
    sign_in(client, patient.user)
    return client


@pytest.fixture
def clinician_web(clinician):
    client = Client()
    sign_in(client, clinician)
    return client


def diary_post(**changes):
    data = {"back_pain": "3", "headache": "5", "temperature": "", "temperature_unit": "C", "notes": ""}
    data.update({name: "no" for name in SymptomEntry.YES_NO_FIELDS})
    data.update(changes)
    return data


PATIENT_PAGES = [
    "/diary/",
    "/history/",
    "/care-team/",
    "/access-log/",
    "/pain-plan/",
    "/pain-plan/health/",
    "/medications/",
    "/",
]


@pytest.mark.parametrize("url", PATIENT_PAGES)
def test_patient_pages_show_day_n(web, url):
    response = web.get(url)
    assert response.status_code == 200
    assert "Day 1" in response.content.decode()


@pytest.mark.parametrize("url", PATIENT_PAGES[:-1])
def test_patient_pages_are_not_for_clinicians(clinician_web, url):
    assert clinician_web.get(url).status_code == 403


@pytest.mark.parametrize("url", PATIENT_PAGES[:-1])
def test_patient_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_diary_form_has_scales_questions_and_the_users_unit(patient, web):
    patient.user.display_units = "F"
    patient.user.save()
    html = web.get("/diary/").content.decode()
    assert html.count('name="back_pain"') == 11 and html.count('name="headache"') == 11
    assert "worse when you sit or stand" in html
    assert 'value="F" checked' in html or 'checked value="F"' in html or ('value="F"' in html and "checked" in html)
    assert "100.4 °F or higher" in html
    assert "<script>" not in html  # no inline JavaScript


def test_diary_saves_and_shows_recommendations_highest_first(patient, web, fixed_evaluation):
    fixed_evaluation(
        [
            {"rule": "positional_headache", "severity": "info", "message": "Lying flat usually eases it."},
            {"rule": "fever", "severity": "contact_provider", "message": "Contact your care team today."},
        ]
    )
    response = web.post("/diary/", diary_post(temperature="100.4", temperature_unit="F", positional_headache="yes"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Contact your care team today") < html.index("Lying flat usually eases it.")
    entry = SymptomEntry.objects.get()
    assert entry.temperature_c == Decimal("38.00") and entry.positional_headache is True
    assert entry.headache == 5


def test_diary_resubmission_is_not_saved_twice(web):
    data = diary_post(form_token="abc123")
    web.post("/diary/", data)
    response = web.post("/diary/", data)
    assert response.status_code == 302
    assert SymptomEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"back_pain": ""}, "Choose how bad your back pain is"),
        ({"temperature": "45", "temperature_unit": "C"}, "between 34.0 and 43.0 °C"),
        ({"temperature": "120", "temperature_unit": "F"}, "between 93.2 and 109.4 °F"),
        ({"notes": "x" * 2001}, "at most 2000 characters"),
        ({"recorded_at": "2999-01-01T10:00"}, "in the future"),
    ],
)
def test_diary_errors_are_shown_next_to_the_field(web, changes, message):
    response = web.post("/diary/", diary_post(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SymptomEntry.objects.count() == 0


def test_history_lists_entries_and_the_chart(patient, web):
    now = datetime.now(UTC)
    SymptomEntryFactory(patient=patient, recorded_at=now - timedelta(hours=20), headache=2)
    SymptomEntryFactory(
        patient=patient, recorded_at=now - timedelta(hours=2), headache=6, temperature_c=Decimal("38.3")
    )
    html = web.get("/history/?days=7").content.decode()
    assert "<svg" in html and "Severe pain 7" in html and "Fever 38.0 °C" in html
    assert ">rise<" in html  # the spike has a word, not only a colour
    assert 'aria-current="true">7 days' in html


def test_history_marks_an_entry_entered_in_error(patient, web):
    entry = SymptomEntryFactory(patient=patient)
    response = web.post(f"/diary/{entry.pk}/entered-in-error/", {"reason": "typo", "next": "/history/"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.entered_in_error_at is not None
    assert "Entered in error" in web.get("/history/").content.decode()


def test_entered_in_error_of_another_patients_entry_is_404(other_patient, web):
    entry = SymptomEntryFactory(patient=other_patient)
    assert web.post(f"/diary/{entry.pk}/entered-in-error/").status_code == 404


def test_care_team_page_adds_and_revokes(patient, web, clinician):
    newcomer = ClinicianFactory(first_name="Nia", last_name="Nurse", specialty="nursing")
    html = web.get("/care-team/").content.decode()
    assert "Nia Nurse" in html  # offered
    web.post("/care-team/", {"clinician": newcomer.pk})
    assert CareTeamGrant.objects.filter(patient=patient, clinician=newcomer, revoked_at__isnull=True).exists()
    grant = CareTeamGrant.objects.get(patient=patient, clinician=clinician)
    web.post(f"/care-team/{grant.pk}/revoke/")
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_access_log_page_shows_clinician_reads(patient, web, clinician_web, clinician):
    clinician_web.get(f"/patients/{patient.pk}/")
    html = web.get("/access-log/").content.decode()
    assert clinician.get_full_name() in html and "opened your chart" in html


def test_pain_plan_page_and_health_form(patient, web):
    html = web.get("/pain-plan/").content.decode()
    assert "Not a prescription" in html and "Discuss with your clinician" in html
    response = web.post("/pain-plan/health/", {"allergies": ["nsaid"], "kidney_disease": "on", "pregnancy_weeks": ""})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.allergies == ["nsaid"] and patient.kidney_disease
    assert "Not suitable for you" in web.get("/pain-plan/").content.decode()


def test_health_form_errors(web):
    response = web.post("/pain-plan/health/", {"pregnancy_weeks": "99"})
    assert response.status_code == 200
    assert "Weeks of pregnancy must be" in response.content.decode()


def test_medication_quick_form_warns_at_the_cap(patient, web):
    response = web.post("/medications/", {"drug": "ibuprofen", "dose_mg": "800"}, follow=True)
    assert "800 mg of ibuprofen" in response.content.decode()
    response = web.post("/medications/", {"drug": "ibuprofen", "dose_mg": "400"}, follow=True)
    html = response.content.decode()
    assert "Contact your care team today" in html and "reaches your daily limit of 1,200 mg" in html
    assert MedicationDose.objects.count() == 2
    assert "mg" not in response.redirect_chain[-1][0].split("?")[-1]  # only the dose id in the URL


def test_medication_form_errors(web):
    response = web.post("/medications/", {"drug": "", "dose_mg": "abc"})
    html = response.content.decode()
    assert "Choose what you took" in html and "Enter the dose in mg" in html


# --- Clinician pages -----------------------------------------------------------------------


def test_patient_list_search_and_order(patient, clinician, clinician_web, other_patient):
    from messaging.services import post_inbox_item

    CareTeamGrant.objects.create(patient=other_patient, clinician=clinician)
    post_inbox_item(kind="alert", patient=other_patient, priority="urgent", summary="x", source_type="t", source_id="1")
    html = clinician_web.get("/patients/").content.decode()
    assert html.index("Blake") < html.index("Avery")  # the urgent one first
    assert "1 open alert" in html and "Day 1" in html
    html = clinician_web.get("/patients/?q=avery").content.decode()
    assert "Avery" in html and "Blake" not in html
    assert AuditEvent.objects.filter(actor=clinician, action="patient_list.read").count() == 3


def test_clinician_pages_need_mfa(client_for, clinician_without_mfa, patient):
    client = Client()
    sign_in(client, clinician_without_mfa)
    for url in ("/patients/", f"/patients/{patient.pk}/", "/patients/enrol/"):
        assert client.get(url).status_code == 302


def test_chart_page_is_audited_once_and_404_outside_the_care_team(
    patient, clinician, clinician_web, outsider_clinician
):
    SymptomEntryFactory(patient=patient)
    response = clinician_web.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Day 1" in html and "Latest entry" in html and "<svg" in html
    assert AuditEvent.objects.filter(actor=clinician, action="patient.chart.read", patient_id=patient.pk).count() == 1
    outsider = Client()
    sign_in(outsider, outsider_clinician)
    assert outsider.get(f"/patients/{patient.pk}/").status_code == 404


def test_chart_404_after_revoke(patient, clinician, clinician_web):
    CareTeamGrant.objects.filter(patient=patient, clinician=clinician).update(revoked_at=datetime.now(UTC))
    assert clinician_web.get(f"/patients/{patient.pk}/").status_code == 404
    assert clinician_web.get(f"/patients/{patient.pk}/health/").status_code == 404


def test_chart_gathers_other_apps_panels(patient, clinician_web, monkeypatch):
    from patients import plugins

    assert list(plugins.CHART_PANELS) == ["messaging", "alerts", "labs"]  # registered in their ready()
    monkeypatch.setitem(plugins.CHART_PANELS, "labs", lambda request, p: [f"<section>labs panel for {p.pk}</section>"])
    assert f"labs panel for {patient.pk}" in clinician_web.get(f"/patients/{patient.pk}/").content.decode()


def test_clinician_edits_health_from_the_chart(patient, clinician_web):
    response = clinician_web.post(f"/patients/{patient.pk}/health/", {"asthma": "on"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.asthma


def test_enrol_form(clinician, clinician_web, mailoutbox, django_capture_on_commit_callbacks):
    data = {
        "email": "web.enrol@example.test",
        "first_name": "Web",
        "last_name": "Enrol",
        "date_of_birth": "1990-01-02",
        "sex": "male",
        "performed_at": (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "needle_type": "cutting",
        "needle_gauge": "20",
        "passes": "2",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician_web.post("/patients/enrol/", data)
    assert response.status_code == 302
    patient = Patient.objects.get(user__email="web.enrol@example.test")
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert len(mailoutbox) == 1


def test_enrol_form_errors(clinician_web):
    response = clinician_web.post("/patients/enrol/", {"email": "bad", "needle_gauge": "99"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_nav_items(web, clinician_web):
    html = web.get("/").content.decode()
    for label in ("Diary", "History", "Care team", "Pain plan"):
        assert f">{label}<" in html
    assert ">Patients<" in clinician_web.get("/").content.decode()


def test_a_diary_entry_without_answers_is_not_saved_and_says_how_many(web):
    data = diary_post(positional_headache="", seizure="", rash="")
    response = web.post("/diary/", data)
    html = response.content.decode()
    assert response.status_code == 200 and SymptomEntry.objects.count() == 0
    assert "3 questions were left without an answer" in html
    assert html.count("this question cannot be left out") == 3
    # The answers given are kept; nothing is chosen for the ones left out.
    assert re.search(r'name="numbness" value="no"[^>]*checked', html)
    assert not re.search(r'name="seizure" value="(yes|no)"[^>]*checked', html)


def test_the_saved_page_lists_when_to_get_help_with_a_tap_to_call_link(web, fixed_evaluation):
    fixed_evaluation([])
    html = web.post("/diary/", diary_post()).content.decode()
    assert "No warning sign was found in what you entered." in html
    assert 'href="tel:911"' in html and "When to get help" in html


def test_a_deactivated_patient_is_marked_in_the_clinicians_list(client_for, clinician, patient):
    """Issue 17 point 6: the clinician sees that the patient can no longer sign in."""
    from portal.accounts.services import deactivate_user

    deactivate_user(user=patient.user, actor=None)
    page = client_for(clinician).get("/patients/").content.decode()
    assert "Account deactivated: cannot sign in" in page
