"""Alert pages: the patient's "my alerts", the clinician's alert page with
acknowledge/resolve, the chart and dashboard panels, thresholds, navigation, demo."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import RequestFactory

from alerts import chart, dashboard, nav
from alerts.models import Alert, PatientThreshold
from alerts.services import evaluate_entry
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.4")))
    return Alert.objects.get()


def test_patient_sees_my_alerts_and_when_the_care_team_saw_them(client_for, patient, clinician, alert):
    client_for(clinician).post(f"/alerts/{alert.pk}/acknowledge/", {"note": "Call booked"})
    alert.refresh_from_db()
    patient.user.time_zone = "America/New_York"
    patient.user.save()
    page = client_for(patient.user).get("/alerts/").content.decode()
    local = alert.acknowledged_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"Seen by your care team at {local:%H:%M}" in page
    assert "Call booked" not in page  # the clinician's note stays with clinicians
    assert "Contact your care team today." in page


def test_clinician_acknowledges_and_resolves_from_the_alert_page(client_for, clinician, alert):
    client = client_for(clinician)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Acknowledge" in page and "Resolve" in page
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "Phoned"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.note == "Phoned"
    response = client.post(f"/alerts/{alert.pk}/resolve/", {"note": "Fine"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Resolved" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolution_note == "Fine"


def test_a_too_long_note_shows_an_error_and_changes_nothing(client_for, clinician, alert):
    response = client_for(clinician).post(f"/alerts/{alert.pk}/acknowledge/", {"note": "x" * 2001}, follow=True)
    assert "at most 2000 characters" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open"


def test_pages_are_scoped(client_for, other_patient, outsider_clinician, patient, alert):
    assert client_for(other_patient.user).get(f"/alerts/{alert.pk}/").status_code == 404
    assert client_for(outsider_clinician).get(f"/alerts/{alert.pk}/").status_code == 404
    assert client_for(outsider_clinician).post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    assert client_for(patient.user).post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.status == "open"


def test_clinician_without_mfa_is_sent_to_set_it_up(client_for, clinician_without_mfa, alert):
    response = client_for(clinician_without_mfa).get(f"/alerts/{alert.pk}/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_chart_panel_lists_the_patients_alerts(rf: RequestFactory, clinician, patient, alert):
    request = rf.get("/")
    request.user = clinician
    (html,) = chart.panels(request, patient)
    assert f"/alerts/{alert.pk}/" in html and "fever threshold" in html


def test_dashboard_panels(rf: RequestFactory, clinician, patient, alert):
    for user in (clinician, patient.user):
        request = rf.get("/")
        request.user = user
        (html,) = dashboard.panels(request)
        assert f"/alerts/{alert.pk}/" in html


def test_nav_shows_the_open_count_to_clinicians(clinician, patient, alert):
    (item,) = nav.nav_items(clinician)
    assert item["badge"] == 1
    assert nav.nav_items(patient.user)[0]["label"] == "My alerts"


def test_thresholds_page_sets_and_restores(client_for, clinician, patient):
    client = client_for(clinician)
    assert "fever" in client.get(f"/alerts/patients/{patient.pk}/thresholds/").content.decode()
    client.post(f"/alerts/patients/{patient.pk}/thresholds/", {"rule": "fever", "value": "38.5"})
    assert PatientThreshold.objects.get().value == Decimal("38.5")
    page = client.post(f"/alerts/patients/{patient.pk}/thresholds/", {"rule": "fever", "value": "50"}).content.decode()
    assert "between 37 and 40" in page
    client.post(f"/alerts/patients/{patient.pk}/thresholds/", {"rule": "fever", "value": ""})
    assert not PatientThreshold.objects.exists()


def test_demo_seed_on_accounts_without_a_diary_raises_nothing_and_makes_no_alert(db):
    from alerts import demo
    from portal.demo import seed_accounts

    demo.seed(seed_accounts())
    assert not Alert.objects.exists()


def test_demo_seed_shows_alerts_one_seen_by_the_care_team_and_is_idempotent(db):
    from alerts import demo
    from patients import demo as patients_demo
    from portal.demo import seed_accounts

    accounts = seed_accounts()
    patients_demo.seed(accounts)
    demo.seed(accounts)
    alerts = sorted(Alert.objects.values_list("patient_id", "dedup_key", "status", "acknowledged_by"))
    seen = [row for row in alerts if row[2] != "open"]
    assert len(alerts) > 1
    assert [row[3] for row in seen] == [accounts["neurologist"].pk]  # "seen by your care team at ..."
    demo.seed(accounts)  # again: nothing doubles, nothing more acknowledged
    assert sorted(Alert.objects.values_list("patient_id", "dedup_key", "status", "acknowledged_by")) == alerts


def test_admin_edits_rules_and_sees_failed_notifications(client_for, admin):
    from alerts.models import AlertRule

    client = client_for(admin)
    assert client.get("/admin/alerts/alertrule/").status_code == 200
    rule = AlertRule.objects.get(code="fever")
    assert client.get(f"/admin/alerts/alertrule/{rule.pk}/change/").status_code == 200
    assert client.get("/admin/outbox/notification/?status__exact=failed").status_code == 200
    assert client.get("/admin/alerts/alert/").status_code == 200


def test_an_alert_page_lists_every_rule_of_the_entry(client_for, patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.6"), neck_stiffness=True))
    alert = Alert.objects.get()
    clinician_page = client_for(clinician).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Every rule that fired on this entry" in clinician_page
    assert "Fever with a red-flag symptom reported" in clinician_page and "Fever reported" in clinician_page
    assert "Temperature at or above 38.0 °C (100.4 °F) on day 0 to 21" in clinician_page  # made from the values
    patient_page = client_for(patient.user).get(f"/alerts/{alert.pk}/").content.decode()
    assert "What your entry showed" in patient_page and "Fever reported" in patient_page
    assert "fever_red_flag" not in patient_page  # no rule codes for the patient
