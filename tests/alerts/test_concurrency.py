"""Two scans and two deliver runs at once, on real PostgreSQL connections (threads):
0 duplicate alerts, 0 duplicate emails."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from alerts import scan
from alerts.models import Alert, AlertFiring
from alerts.services import evaluate_entry
from messaging.models import InboxItem
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.models import Notification
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_at_once(*functions, timeout: float = 60) -> list:
    """Start every function at the same moment, each in its own thread (and connection)."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)
    errors: list = []

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not errors, errors
    return results


def diaries(patients: int = 10):
    clinician = ClinicianFactory()
    now = timezone.now()
    for _ in range(patients):
        patient = PatientFactory(procedure=now - timedelta(days=16))
        CareTeamGrantFactory(patient=patient, clinician=clinician)
        performed = patient.procedures.get().performed_at
        SymptomEntryFactory(patient=patient, recorded_at=performed + timedelta(hours=5), headache=5)
        SymptomEntryFactory(patient=patient, recorded_at=performed + timedelta(hours=80), headache=6)
        SymptomEntryFactory(patient=patient, recorded_at=performed + timedelta(days=15, hours=2), back_pain=4)
        SymptomEntryFactory(patient=patient, recorded_at=performed + timedelta(days=15, hours=9), leg_weakness=True)
    return clinician


def assert_no_duplicates() -> None:
    keys = Counter(Alert.objects.values_list("dedup_key", flat=True))
    assert all(count == 1 for count in keys.values())
    items = Counter(InboxItem.objects.filter(kind="alert").values_list("source_id", flat=True))
    assert all(count == 1 for count in items.values())
    notes = Counter(Notification.objects.values_list("dedup_key", flat=True))
    assert all(count == 1 for count in notes.values())


def test_two_scans_at_once_create_each_alert_once(seeded_rules):
    diaries()
    reports = run_at_once(scan.scan_symptom_logs, scan.scan_symptom_logs, scan.full_rescan, scan.full_rescan)
    assert any(r.ran for r in reports[:2])
    assert_no_duplicates()
    # 10 patients x (not improving, late back pain, new weakness), each on its own entry
    assert Alert.objects.count() == AlertFiring.objects.count() == 30
    assert AlertFiring.objects.count() == len(scan.full_rescan_detections())


def test_unique_constraint_is_the_last_line_when_two_writers_race(seeded_rules):
    """Even without the scan lock, two writers of the same detections create each once."""
    diaries(5)
    book = scan._book()
    detections = scan.full_rescan_detections(book)
    created = run_at_once(*[lambda: scan.create_alerts(detections, book) for _ in range(3)])
    assert sum(created) == len(detections) == AlertFiring.objects.count() == Alert.objects.count()
    assert_no_duplicates()


@pytest.mark.smtp
def test_two_deliver_runs_at_once_send_each_email_once(seeded_rules, smtp_server, settings):
    settings.AFTERCARE_NOTIFICATION_BATCH_SIZE = 7
    clinician = ClinicianFactory()
    for _ in range(30):
        patient = PatientFactory()
        CareTeamGrantFactory(patient=patient, clinician=clinician)
        evaluate_entry(SymptomEntryFactory(patient=patient, confusion=True))
    assert Notification.objects.count() == 60
    reports = run_at_once(deliver_due_notifications, deliver_due_notifications, deliver_due_notifications)
    assert sum(r.sent for r in reports) == 60
    ids = smtp_server.notification_ids()
    assert len(ids) == 60 and len(set(ids)) == 60
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_scan_skips_while_another_holds_the_state_row(seeded_rules):
    """select_for_update(skip_locked=True): the second worker returns at once."""
    from django.db import transaction

    from alerts.models import ScanState

    ScanState.objects.get_or_create(name=scan.INCREMENTAL)
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            ScanState.objects.select_for_update().get(name=scan.INCREMENTAL)
            holding.set()
            release.wait(30)

    def scan_while_held():
        holding.wait(30)
        try:
            return scan.scan_symptom_logs()
        finally:
            release.set()

    _, report = run_at_once(hold_the_row, scan_while_held)
    assert report.ran is False
