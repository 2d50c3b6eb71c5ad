"""PHI canaries: health data and names never reach a log line, an email, a Celery
task's arguments, an exception message, a URL, an outbox row or the audit log.

Canary strings (all containing ``zzcanary``) are put in a patient's and a
clinician's names, symptom notes, health preferences, message subjects and bodies,
attachment names and bytes, lab files and their names, lab request reasons and
review notes, forward notes and alert notes. The main flows then run end to end
through the API and the pages: enrolment and invitation, app sign-in, a symptom
entry that raises an urgent alert, messaging with an attachment, a reply and a
forward, a lab upload, release and download (and a damaged file), a lab request
and its review, refused input, the scheduled scan, and notification delivery
through the outbox to Django's locmem email, and the Celery tasks as a worker runs
them. Every sink is then searched, the log records both as plain text and as the
JSON lines production writes (one per request and per task, with their fields).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from celery import Celery
from celery.app.task import Task
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.utils import timezone
from rest_framework.test import APIClient

from alerts import tasks
from alerts.scan import scan_symptom_logs
from labs.models import LabReportFile
from patients.questions import YES_NO_FIELDS
from portal.audit.models import AuditEvent
from portal.crypto import SealedDataError, open_sealed, seal_text
from portal.operations.logs import JsonLines
from portal.outbox import tasks as outbox_tasks
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.models import Notification
from tests.factories import TEST_PASSWORD, ClinicianFactory, diary_answers
from tests.security.runner import body_of
from tests.security.world import PNG, seed_reference_data
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db

CANARY = "zzcanary"
PATIENT_FIRST, PATIENT_LAST = "Zzcanary-Pfirst", "Zzcanary-Plast"
CLINICIAN_FIRST, CLINICIAN_LAST = "Zzcanary-Cfirst", "Zzcanary-Clast"
PATIENT_EMAIL = "pat@example.test"  # addresses are the recipients' own: not canaries
NOTES = "ZZCANARY-notes: stiff neck since the morning"
PREFERENCES = "ZZCANARY-preferences: nothing with codeine"
SUBJECT = "ZZCANARY-subject: fever and stiff neck"
BODY = "ZZCANARY-body: the headache is worse"
ATTACHMENT_NAME = "zzcanary-photo.png"
ATTACHMENT = PNG + b"ZZCANARY-attachment-bytes"
REPLY = "ZZCANARY-reply: go to the emergency department"
FORWARD_NOTE = "ZZCANARY-forward: please see today"
ALERT_NOTE = "ZZCANARY-alert-note: spoke to the patient"
LAB_FILE = b"CSF ZZCANARY-labfile: white cells 250 /uL\n"
LAB_FILE_NAME = "zzcanary-csf.txt"
LAB_REASON = "ZZCANARY-reason: my back hurts more"
REVIEW_NOTE = "ZZCANARY-review: not needed now"
DIARY_NOTES = "ZZCANARY-diary-page notes"


@dataclass
class Sinks:
    tasks: list = field(default_factory=list)  # (name, args, kwargs) of every task sent
    exceptions: list = field(default_factory=list)  # str() and repr() of every request exception
    urls: list = field(default_factory=list)  # every Location header of the flows


@pytest.fixture
def sinks(monkeypatch):
    found = Sinks()

    def send_task(self, name, args=None, kwargs=None, **options):
        found.tasks.append((name, args, kwargs, options))

    def apply_async(self, args=None, kwargs=None, **options):
        found.tasks.append((self.name, args, kwargs, options))

    # Recorded, never published: no worker runs in the tests.
    monkeypatch.setattr(Celery, "send_task", send_task)
    monkeypatch.setattr(Task, "apply_async", apply_async)

    def on_exception(sender, request=None, **kwargs):
        import sys

        exc = sys.exc_info()[1]
        found.exceptions.append(f"{exc!s} {exc!r} {request.path if request else ''}")

    got_request_exception.connect(on_exception, weak=False)
    yield found
    got_request_exception.disconnect(on_exception)


def go(client, method, path, sinks, expect, **kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == expect, (method, path, response.status_code, response.content[:500])
    if response.has_header("Location"):
        sinks.urls.append(response["Location"])
    if response.status_code >= 400 and "json" in response.get("Content-Type", ""):
        # Error messages (which clients log) name the field and the rule, never echo the input.
        sinks.exceptions.append(response.content.decode())
    sinks.urls.append(path)
    return response


def hits(text: str) -> bool:
    return CANARY in text.lower()


def test_no_canary_reaches_any_sink(caplog, mailoutbox, sinks, django_capture_on_commit_callbacks, settings):
    seed_reference_data()
    settings.AFTERCARE_SITE_URL = "https://aftercare.example.org"
    clinician = ClinicianFactory(first_name=CLINICIAN_FIRST, last_name=CLINICIAN_LAST, email="dr@example.test")
    colleague = ClinicianFactory(specialty="anesthesiology")
    # From here on (the factories above log their own debug lines): the root logger, every level.
    caplog.set_level(logging.DEBUG)
    doctor = APIClient()
    sign_in(doctor, clinician)
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        # 1. Enrolment: the invitation email, then the patient sets a password and signs in (app).
        go(
            doctor,
            "post",
            "/api/v1/patients/",
            sinks,
            201,
            format="json",
            data={
                "email": PATIENT_EMAIL,
                "first_name": PATIENT_FIRST,
                "last_name": PATIENT_LAST,
                "date_of_birth": "1984-03-02",
                "sex": "female",
                "procedure": {"performed_at": yesterday, "needle_type": "cutting", "needle_gauge": 20},
            },
        )
    from patients.models import Patient

    patient = Patient.objects.get(user__email=PATIENT_EMAIL)
    token = re.search(r"/invitations/([^/\s]+)/", mailoutbox[0].body).group(1)
    anon = APIClient()
    go(
        anon,
        "post",
        "/api/v1/invitations/accept/",
        sinks,
        200,
        format="json",
        data={"token": token, "password": TEST_PASSWORD + "x"},
    )
    app = APIClient()
    login = go(
        app,
        "post",
        "/_allauth/app/v1/auth/login",
        sinks,
        200,
        format="json",
        data={"email": PATIENT_EMAIL, "password": TEST_PASSWORD + "x"},
    )
    app.credentials(HTTP_X_SESSION_TOKEN=login.json()["meta"]["session_token"])
    # A failed sign-in with a canary for a password and for an email is logged by nobody.
    go(
        anon,
        "post",
        "/_allauth/app/v1/auth/login",
        sinks,
        400,
        format="json",
        data={"email": PATIENT_EMAIL, "password": "zzcanary-wrong-password"},
    )
    go(anon, "post", "/accounts/login/", sinks, 200, data={"login": "zzcanary@example.test", "password": "zzcanary-pw"})

    with django_capture_on_commit_callbacks(execute=True):
        # 2. The patient's health factors and an urgent symptom entry (alert, inbox, notifications).
        go(
            app,
            "patch",
            f"/api/v1/patients/{patient.pk}/",
            sinks,
            200,
            format="json",
            data={"health": {"preferences": PREFERENCES}},
        )
        entry = go(
            app,
            "post",
            "/api/v1/symptoms/",
            sinks,
            201,
            format="json",
            data=diary_answers(back_pain=3, headache=8, temperature_c=39.1, neck_stiffness=True, notes=NOTES),
        ).json()
        assert entry["alerts"], "the entry raises an alert"
        # Refused input that carries canaries: the 400 names fields, nobody logs the values.
        go(
            app,
            "post",
            "/api/v1/symptoms/",
            sinks,
            400,
            format="json",
            data=diary_answers(back_pain="zzcanary-score", headache=2, notes="zzcanary" * 300),
        )
        go(app, "post", "/api/v1/symptoms/", sinks, 400, data='{"zzcanary": ', content_type="application/json")
        go(
            app,
            "patch",
            f"/api/v1/patients/{patient.pk}/",
            sinks,
            400,
            format="json",
            data={"health": {"allergies": ["zzcanary-allergy"]}},
        )

        # 3. Messages: the patient writes with an attachment; the clinician replies and forwards.
        thread = go(
            app,
            "post",
            "/api/v1/threads/",
            sinks,
            201,
            format="multipart",
            data={
                "subject": SUBJECT,
                "body": BODY,
                "attachments": [SimpleUploadedFile(ATTACHMENT_NAME, ATTACHMENT, "image/png")],
            },
        ).json()
        go(doctor, "get", f"/api/v1/threads/{thread['id']}/messages/", sinks, 200)
        go(doctor, "post", f"/api/v1/threads/{thread['id']}/messages/", sinks, 201, format="json", data={"body": REPLY})
        from patients.models import CareTeamGrant

        CareTeamGrant.objects.create(patient=patient, clinician=colleague, granted_by=patient.user)
        go(
            doctor,
            "post",
            f"/api/v1/threads/{thread['id']}/forward/",
            sinks,
            201,
            format="json",
            data={"to": colleague.pk, "note": FORWARD_NOTE},
        )
        attachment_id = go(doctor, "get", f"/api/v1/threads/{thread['id']}/messages/", sinks, 200).json()["results"][0][
            "attachments"
        ][0]["id"]
        go(doctor, "get", f"/api/v1/attachments/{attachment_id}/", sinks, 200)

        # 4. The alert: acknowledged and resolved with notes.
        alert_id = entry["alerts"][0]
        go(
            doctor,
            "post",
            f"/api/v1/alerts/{alert_id}/acknowledge/",
            sinks,
            200,
            format="json",
            data={"note": ALERT_NOTE},
        )
        go(doctor, "post", f"/api/v1/alerts/{alert_id}/resolve/", sinks, 200, format="json", data={"note": ALERT_NOTE})

        # 5. Labs: upload, release, the patient downloads; a request and its review.
        report = go(
            doctor,
            "post",
            "/api/v1/lab-reports/",
            sinks,
            201,
            format="multipart",
            data={
                "patient": patient.pk,
                "kind": "csf",
                "collected_at": entry["recorded_at"],
                "values": '[{"analyte": "csf_wbc", "value": 250, "unit": "cells/uL"}]',
                "file": SimpleUploadedFile(LAB_FILE_NAME, LAB_FILE, "text/plain"),
            },
        ).json()
        go(doctor, "post", f"/api/v1/lab-reports/{report['id']}/release/", sinks, 200)
        assert body_of(go(app, "get", f"/api/v1/lab-reports/{report['id']}/file/", sinks, 200)) == LAB_FILE
        lab_request = go(
            app,
            "post",
            "/api/v1/lab-requests/",
            sinks,
            201,
            format="json",
            data={"tests": ["crp"], "reason": LAB_REASON},
        ).json()
        go(
            doctor,
            "post",
            f"/api/v1/lab-requests/{lab_request['id']}/review/",
            sinks,
            200,
            format="json",
            data={"decision": "decline", "note": REVIEW_NOTE},
        )

        # 6. A page flow: the diary form (browser session).
        browser = APIClient()
        sign_in(browser, patient.user)
        go(
            browser,
            "post",
            "/diary/",
            sinks,
            200,
            data={
                "back_pain": "2",
                "headache": "2",
                "temperature_unit": "C",
                "notes": DIARY_NOTES,
                **dict.fromkeys(YES_NO_FIELDS, "no"),
            },
        )

    # 7. A damaged lab file: refused (and logged) without its content.
    stored = LabReportFile.objects.get(report_id=report["id"])
    stored.sealed = bytes(stored.sealed)[:-1] + bytes([stored.sealed[-1] ^ 1])
    stored.save(update_fields=["sealed"])
    go(doctor, "get", f"/api/v1/lab-reports/{report['id']}/file/", sinks, 422)
    # A blob opened under another row's context: the error names no plaintext.
    blob = seal_text(BODY, context="message:1")
    with pytest.raises(SealedDataError) as excinfo:
        open_sealed(blob, context="message:2")
    sinks.exceptions.append(f"{excinfo.value!s} {excinfo.value!r}")

    # 8. The scheduled scan and the outbox delivery (what the Celery tasks run).
    with django_capture_on_commit_callbacks(execute=True):
        scan_symptom_logs()
    report_sent = deliver_due_notifications()
    assert report_sent.sent >= 3, "alert, message and lab notifications were delivered"
    assert len(mailoutbox) >= 4
    assert sinks.tasks, "notifications queued their delivery task"
    # The Celery tasks themselves, as a worker runs them (their JSON lines are searched too).
    with django_capture_on_commit_callbacks(execute=True):
        for task in (tasks.scan_symptom_logs, tasks.escalate_overdue_alerts, outbox_tasks.deliver_notifications):
            assert task.apply().successful()

    # --- Search every sink --------------------------------------------------------------------
    problems = []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    json_lines = JsonLines()  # what production writes: every extra field of a record too
    for record in caplog.records:
        for text in (formatter.format(record), json_lines.format(record)):  # message, arguments, traceback
            if hits(text):
                problems.append(f"log {record.name}: {text[:300]}")
    for mail in mailoutbox:
        text = " ".join(
            [mail.subject, mail.body, str(mail.extra_headers)]
            + [content for content, _ in getattr(mail, "alternatives", [])]
        )
        if hits(text):
            problems.append(f"email to {mail.to}: {mail.subject!r} {mail.body[:300]!r}")
    for name, args, kwargs, options in sinks.tasks:
        if hits(repr((name, args, kwargs, options))):
            problems.append(f"task {name} args={args!r} kwargs={kwargs!r}")
    for text in sinks.exceptions:
        if hits(text):
            problems.append(f"exception: {text[:300]}")
    for url in sinks.urls:
        if hits(url):
            problems.append(f"URL: {url}")
    for event in AuditEvent.objects.all():
        text = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.concrete_fields)
        if hits(text):
            problems.append(f"audit row: {text}")
    for notification in Notification.objects.all():
        text = " ".join(str(getattr(notification, f.attname)) for f in Notification._meta.concrete_fields)
        if hits(text):
            problems.append(f"outbox row: {text}")
    assert caplog.records, "logging was captured"
    request_lines = [r for r in caplog.records if r.name == "aftercare.request"]
    task_lines = [r for r in caplog.records if r.name == "aftercare.task"]
    assert len(request_lines) >= len(sinks.urls) // 2, "one JSON line per request was searched"
    assert {r.task for r in task_lines} >= {
        "alerts.tasks.scan_symptom_logs",
        "portal.outbox.tasks.deliver_notifications",
    }
    assert not problems, "Canaries escaped:\n" + "\n".join(problems)
