"""The alert-pipeline banner in a real browser, at phone and desktop size: a clinician
and an admin see it on their pages (Django admin included) while the scan is late,
and it goes once the scan has run again. axe checks the clinician's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.operations.models import Heartbeat
from portal.operations.pipeline import record_heartbeat
from tests.e2e.helpers import sign_in
from tests.factories import AdminFactory, ClinicianFactory, enable_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BANNER = "Alerts are delayed: the last scan ran 12 minutes ago."


def test_clinicians_and_admins_see_late_alerts_on_every_page(open_browser, settings):
    settings.AFTERCARE_PIPELINE_PAGE_CHECK = True
    record_heartbeat(name=Heartbeat.SCAN, duration_s=0.1, now=timezone.now() - timedelta(minutes=12, seconds=10))
    clinician = ClinicianFactory(email="nora@clinic.test", first_name="Nora", mfa=False)
    clinician_secret = enable_totp(clinician)
    admin = AdminFactory(email="admin@clinic.test", first_name="Sam", mfa=False)
    admin_secret = enable_totp(admin)

    nora = open_browser("clinician")
    sign_in(nora.page, "nora@clinic.test", totp_secret=clinician_secret)
    banner = nora.page.get_by_role("alert").filter(has_text="Alerts are delayed")
    expect(banner).to_contain_text(BANNER)
    nora.check("pipeline-banner-home")
    nora.page.goto("/inbox/")
    expect(banner).to_be_visible()
    nora.check("pipeline-banner-inbox")

    sam = open_browser("admin")
    sign_in(sam.page, "admin@clinic.test", totp_secret=admin_secret)
    sam.page.goto("/admin/")
    expect(sam.page.get_by_role("alert")).to_contain_text(BANNER)
    sam.check("pipeline-banner-admin", enforce=False)

    record_heartbeat(name=Heartbeat.SCAN, duration_s=0.1)  # the scan ran again
    nora.page.goto("/")
    expect(nora.page.get_by_role("heading", name="Hello, Nora")).to_be_visible()
    expect(nora.page.get_by_text("Alerts are delayed")).to_have_count(0)
