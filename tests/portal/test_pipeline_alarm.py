"""When alerts are late, people hear of it (DESIGN.md "No silent failure"):

- clinicians and admins see a banner on every page, the admin site included;
- the on-call address gets one email per incident and one when it clears, sent by
  whichever process notices first (a page view, ``/readyz``, ``check_pipeline``),
  never twice, even when several notice at once;
- ``manage.py check_pipeline`` exits non-zero for cron and external monitors.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from portal.clinic.models import ClinicSettings
from portal.operations.models import Heartbeat, PipelineIncident
from portal.operations.pipeline import MAIL_CLAIM_RETRY, pipeline_status, record_heartbeat, watch_pipeline

pytestmark = pytest.mark.django_db

ONCALL = "oncall@clinic.example"
T0 = timezone.now().replace(microsecond=0)
BANNER = "Alerts are delayed: the last scan ran 12 minutes ago"


@pytest.fixture(autouse=True)
def page_check_on(settings):
    settings.AFTERCARE_PIPELINE_PAGE_CHECK = True
    ClinicSettings.objects.filter(pk=ClinicSettings.SINGLETON_ID).update(oncall_email=ONCALL)


def scan_ran(at) -> None:
    record_heartbeat(name=Heartbeat.SCAN, duration_s=0.1, now=at)


def oncall_mails() -> list:
    return [m for m in mail.outbox if m.to == [ONCALL]]


def at(minutes: float):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def test_banner_for_clinicians_on_every_page_and_one_email(client_for, clinician, patient):
    scan_ran(T0)
    client = client_for(clinician)
    with at(4):
        assert "Alerts are delayed" not in client.get("/").content.decode()
    assert oncall_mails() == []
    with at(12):
        for path in ("/", "/inbox/", f"/patients/{patient.pk}/", "/settings/"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert BANNER in page.content.decode(), path
    assert len(oncall_mails()) == 1, "one email per incident, however many pages are viewed"
    email = oncall_mails()[0]
    assert email.subject == "[Aftercare] Alerts are delayed"
    assert BANNER in email.body
    assert PipelineIncident.objects.get().cleared_at is None


def test_the_admin_site_shows_the_banner(client_for, admin):
    scan_ran(T0)
    with at(12):
        page = client_for(admin).get("/admin/")
    assert page.status_code == 200
    assert BANNER in page.content.decode()
    assert '<div role="alert">' in page.content.decode()


def test_patients_see_no_banner_and_trigger_nothing(client_for, patient):
    scan_ran(T0)
    with at(12):
        page = client_for(patient.user).get("/")
    assert "Alerts are delayed" not in page.content.decode()
    assert not PipelineIncident.objects.exists()
    assert oncall_mails() == []


def test_a_page_view_on_time_costs_one_query(client_for, clinician, settings):
    scan_ran(T0)
    client = client_for(clinician)
    with at(1):
        client.get("/settings/")  # warm
        settings.AFTERCARE_PIPELINE_PAGE_CHECK = False
        unchecked = len(_queries(client, "/settings/"))
        settings.AFTERCARE_PIPELINE_PAGE_CHECK = True
        checked = len(_queries(client, "/settings/"))
    assert checked == unchecked + 1


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return captured.captured_queries


def test_it_clears_with_a_second_email_once(client_for, clinician, anon_client):
    scan_ran(T0)
    client = client_for(clinician)
    with at(12):
        client.get("/")
    scan_ran(T0 + timedelta(minutes=13))  # beat is back
    with at(13.5):
        assert "Alerts are delayed" not in client.get("/").content.decode()
        anon_client.get("/readyz")
        call_command("check_pipeline")
    incident = PipelineIncident.objects.get()
    assert incident.cleared_at == T0 + timedelta(minutes=13.5)
    subjects = [m.subject for m in oncall_mails()]
    assert subjects == ["[Aftercare] Alerts are delayed", "[Aftercare] Alerts are on time again"]


def test_two_processes_noticing_at_once_open_one_incident_and_send_one_email():
    scan_ran(T0)
    with at(12):
        # Both read "late, nothing open" before either wrote: the same status object.
        seen = pipeline_status()
        first, second = watch_pipeline(status=seen), watch_pipeline(status=seen)
    assert (first.opened, second.opened) == (True, False)
    assert PipelineIncident.objects.count() == 1
    assert first.mails_sent + second.mails_sent == 1
    assert len(oncall_mails()) == 1


def test_an_email_claimed_by_a_process_that_died_is_sent_after_the_retry_interval():
    scan_ran(T0)
    PipelineIncident.objects.create(opened_at=T0 + timedelta(minutes=6), cause="late", opened_mail_claimed_at=T0)
    with at(6 + MAIL_CLAIM_RETRY.total_seconds() / 60 - 4.5):
        watch_pipeline()
    assert oncall_mails() == [], "the claim is still fresh: its owner may be sending"
    with at(8):
        watch_pipeline()
    assert len(oncall_mails()) == 1


def test_smtp_refusing_keeps_the_email_owed_and_retries_later(monkeypatch):
    scan_ran(T0)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with at(12):
        assert watch_pipeline().mails_sent == 0
    incident = PipelineIncident.objects.get()
    assert incident.opened_mail_sent_at is None
    assert incident.last_error == "opened_mail: SMTPServerDisconnected"
    monkeypatch.undo()
    with at(13):
        assert watch_pipeline().mails_sent == 0  # claimed a minute ago: not yet
    with at(15):
        assert watch_pipeline().mails_sent == 1
    assert PipelineIncident.objects.get().last_error == ""


def test_the_on_call_address_comes_from_the_clinic_settings(settings):
    settings.AFTERCARE_ONCALL_EMAIL = "from-the-environment@clinic.example"
    ClinicSettings.objects.filter(pk=1).update(oncall_email="edited-in-admin@clinic.example")
    scan_ran(T0)
    with at(12):
        watch_pipeline()
    assert [m.to for m in mail.outbox] == [["edited-in-admin@clinic.example"]]
    ClinicSettings.objects.all().delete()  # a fresh database: the environment's address
    scan_ran(T0 + timedelta(minutes=13))
    with at(14):
        watch_pipeline()  # clears; the "on time again" email goes to the address in force
    assert [m.to for m in mail.outbox][-1] == ["from-the-environment@clinic.example"]


def test_an_outbox_delay_is_named(client_for, clinician):
    from portal.outbox.models import Notification

    scan_ran(T0 + timedelta(minutes=14))
    Notification.objects.create(recipient=clinician, kind="alert", dedup_key="x", created_at=T0)
    with at(14.5):
        page = client_for(clinician).get("/")
    assert "Alerts are delayed: an email has waited 14 minutes to be sent" in page.content.decode()


def test_the_check_is_off_when_the_setting_is(client_for, clinician, settings):
    settings.AFTERCARE_PIPELINE_PAGE_CHECK = False
    scan_ran(T0)
    with at(12):
        assert "Alerts are delayed" not in client_for(clinician).get("/").content.decode()
    assert not PipelineIncident.objects.exists()


def test_check_pipeline_exits_non_zero_while_late_and_zero_on_time(capsys):
    scan_ran(T0)
    with at(2):
        call_command("check_pipeline")
    assert capsys.readouterr().out.startswith("ok: scan 120 s ago")
    with at(12), pytest.raises(SystemExit) as exited:
        call_command("check_pipeline")
    assert exited.value.code == 1
    assert f"NOT READY: {BANNER}" in capsys.readouterr().err
    assert len(oncall_mails()) == 1, "the command notices too, and emails once"


def test_no_email_without_an_on_call_address():
    ClinicSettings.objects.filter(pk=1).update(oncall_email="")
    scan_ran(T0)
    with at(12):
        watch_pipeline()
    assert mail.outbox == []
    assert PipelineIncident.objects.get().last_error == "no on-call address is set"


def test_the_emails_carry_no_patient_data(client_for, clinician, patient):
    scan_ran(T0)
    with at(12):
        client_for(clinician).get(f"/patients/{patient.pk}/")
    scan_ran(T0 + timedelta(minutes=13))
    with at(14):
        watch_pipeline()
    assert len(oncall_mails()) == 2
    for message in oncall_mails():
        text = f"{message.subject} {message.body}"
        for secret in (patient.user.first_name, patient.user.last_name, patient.user.email, f"/patients/{patient.pk}"):
            assert secret not in text
