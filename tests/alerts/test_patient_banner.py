"""The banner on every page of a patient (issue 17 point 1): an urgent or
contact_provider alert is shown until a clinician acknowledges it, then who saw it and
when; resolved alerts and info leave no banner; nobody else sees it."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from alerts.models import Alert
from alerts.services import acknowledge_alert, evaluate_entry, resolve_alert
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db

PATIENT_PAGES = ["/", "/diary/", "/history/", "/messages/", "/labs/", "/alerts/", "/pain-plan/", "/care-team/"]


@pytest.fixture
def urgent_alert(patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.6"), neck_stiffness=True))
    return Alert.objects.get(severity="urgent")


@pytest.mark.parametrize("path", PATIENT_PAGES)
def test_an_open_urgent_alert_is_on_every_patient_page(client_for, patient, urgent_alert, path):
    page = client_for(patient.user).get(path).content.decode()
    assert "alert-banner-urgent" in page
    assert "is not yet seen by your care team" in page
    assert 'href="tel:911"' in page


def test_once_acknowledged_the_banner_says_who_saw_it_and_when(client_for, patient, clinician, urgent_alert):
    patient.user.time_zone = "America/New_York"
    patient.user.save()
    acknowledge_alert(alert=urgent_alert, by=clinician)
    urgent_alert.refresh_from_db()
    page = client_for(patient.user).get("/").content.decode()
    local = urgent_alert.acknowledged_at.astimezone(ZoneInfo("America/New_York"))
    assert f"was seen by {clinician.get_full_name()} at {local:%H:%M}" in page
    assert "alert-banner-urgent" not in page


def test_a_resolved_alert_leaves_no_banner(client_for, patient, clinician, urgent_alert):
    for alert in Alert.objects.all():
        resolve_alert(alert=alert, by=clinician)
    assert "alert-banner" not in client_for(patient.user).get("/").content.decode()


def test_a_contact_provider_alert_has_a_banner_without_the_emergency_call(client_for, patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.2")))
    page = client_for(patient.user).get("/history/").content.decode()
    assert "alert-banner-contact_provider" in page
    assert "Contact your care team today." in page
    assert "alert-banner-urgent" not in page


def test_nobody_else_sees_the_banner(client_for, other_patient, urgent_alert):
    assert "alert-banner" not in client_for(other_patient.user).get("/").content.decode()
