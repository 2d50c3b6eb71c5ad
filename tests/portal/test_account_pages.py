"""Account pages in words a patient uses (issue 17 point 5): a deactivated account's
sign-in ends on a page that says how to reach the clinic (not a bare "This account is
inactive"); the time-zone picker puts the likely zones first, by city."""

from __future__ import annotations

import pytest

from portal.clinic.models import ClinicSettings
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_a_deactivated_patient_is_told_how_to_reach_the_clinic(client, patient):
    ClinicSettings.objects.update_or_create(pk=ClinicSettings.SINGLETON_ID, defaults={"phone": "+1 555 0100"})
    patient.user.is_active = False
    patient.user.save()
    response = client.post("/accounts/login/", {"login": patient.user.email, "password": TEST_PASSWORD}, follow=True)
    page = response.content.decode()
    assert "This account is not active" in page
    assert 'href="tel:+15550100"' in page and "Call the clinic: +1 555 0100" in page
    assert 'href="tel:911"' in page


def test_the_time_zone_picker_offers_likely_zones_first_by_city(client_for, patient):
    """Issue 17: not ~600 raw names; the reader's and the clinic's zones first, cities named."""
    patient.user.time_zone = "America/New_York"
    patient.user.save()
    page = client_for(patient.user).get("/settings/").content.decode()
    likely = page.index('<optgroup label="Likely for you">')
    assert likely < page.index('<optgroup label="Africa">')
    assert 'value="America/New_York" selected>New York (America) · UTC-0' in page[likely:]
    assert ">Buenos Aires (Argentina, America) · UTC-03:00<" in page
    response = client_for(patient.user).post("/settings/", {"display_units": "C", "time_zone": "Europe/Paris"})
    assert response.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.time_zone == "Europe/Paris"


@pytest.mark.parametrize(("debug_pages", "shows_debug"), [(False, False), (True, True)])
def test_make_run_shows_the_portals_404_unless_debug_pages_are_asked_for(settings, client, debug_pages, shows_debug):
    """``make run`` sets DJANGO_DEBUG: its 404 was Django's yellow page listing every URL."""
    from django.test import override_settings

    settings.DEBUG = True
    settings.DJANGO_DEBUG_PAGES = debug_pages
    with override_settings(MIDDLEWARE=list(settings.MIDDLEWARE)):  # build the middleware chain again
        client.handler.load_middleware()
        page = client.get("/no-such-page/").content.decode()
    client.handler.load_middleware()
    assert ("Using the URLconf" in page) is shows_debug
    assert ("Back to your home page" in page) is not shows_debug
