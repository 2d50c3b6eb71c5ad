"""The scan raises a run's alerts in a few statements (``raising.raise_many``): the rows
it writes are the rows that raising each entry's findings one at a time writes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts import scan
from alerts.models import Alert
from alerts.raising import Finding, entry_alert_key, raise_findings
from alerts.services import evaluate_entry
from messaging.models import InboxItem
from patients.routing import responsible_for
from portal.outbox.models import Notification
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db

PROCEDURE_AGO = timedelta(days=20)


def diary(patient, *, team: bool, open_episode: bool, two_alerting: bool):
    """A diary whose scan raises: rising fever and new weakness on one entry (one alert,
    two firings), optionally a second alerting entry, and a patient who may already have
    an open alert episode (an instant alert) or no care team (the triage pool)."""
    if team:
        CareTeamGrantFactory(patient=patient, clinician=ClinicianFactory())
    performed = patient.procedures.get().performed_at
    at = [performed + timedelta(hours=h) for h in (300, 310, 320, 330, 340)]
    if open_episode:
        evaluate_entry(SymptomEntryFactory(patient=patient, recorded_at=at[0] - timedelta(hours=5), confusion=True))
    SymptomEntryFactory(patient=patient, recorded_at=at[0], temperature_c=Decimal("37.0"))
    SymptomEntryFactory(patient=patient, recorded_at=at[1], temperature_c=Decimal("37.3"))
    SymptomEntryFactory(patient=patient, recorded_at=at[2], temperature_c=Decimal("37.8"), numbness=True)
    if two_alerting:
        SymptomEntryFactory(patient=patient, recorded_at=at[3])
        SymptomEntryFactory(patient=patient, recorded_at=at[4], leg_weakness=True)


def snapshot(patient) -> list:
    """What a clinician and the outbox see of the patient's scan alerts, without ids."""
    rows = []
    for alert in Alert.objects.filter(patient=patient, rule__kind="pattern").order_by("entry__recorded_at"):
        item = InboxItem.objects.get(pk=alert.inbox_item_id)
        notifications = Notification.objects.filter(source_type="alerts.alert", source_id=str(alert.pk))
        rows.append(
            (
                alert.rule.code,
                alert.severity,
                alert.status,
                alert.message,
                alert.clinician_message,
                alert.audience,
                sorted((f.rule.code, f.severity) for f in alert.firings.all()),
                (item.priority, item.summary, item.status, item.red_flag, item.source_type == "alerts.alert"),
                round((item.due_at - item.created_at).total_seconds() / 60),
                sorted((n.kind, n.recipient_id == patient.user_id, n.address) for n in notifications),
            )
        )
    return rows


def raise_one_at_a_time(detections, book) -> int:
    """The scan's writes before batching: ``raise_findings`` per entry."""
    created = 0
    by_entry: dict[int, list] = {}
    for d in detections:
        by_entry.setdefault(d.entry_id, []).append(d)
    for entry_id, group in by_entry.items():
        entry = group[0].reading
        patient = Alert._meta.get_field("patient").related_model.objects.get(pk=group[0].patient_id)
        _, count = raise_findings(
            patient=patient,
            entry=patient.symptom_entries.get(pk=entry.entry_id),
            alert_key=entry_alert_key(patient_id=patient.pk, entry_id=entry_id),
            findings=sorted(
                (Finding.of(d.fired, book.rows[d.code], d.dedup_key, d.reading) for d in group), key=lambda f: f.rank
            ),
            responsible=responsible_for(patient),
        )
        created += count
    return created


@pytest.mark.parametrize(
    "team, open_episode, two_alerting",
    [
        (True, False, False),  # the common case: one new alert, a new episode
        (False, False, False),  # no care team: the triage pool, the audience
        (True, True, False),  # joins the open episode of an instant alert
        (True, False, True),  # two alerting entries of one patient in the run
    ],
)
def test_batch_raising_writes_what_raising_one_at_a_time_writes(seeded_rules, team, open_episode, two_alerting):
    batched, single = (
        PatientFactory(procedure=timezone.now() - PROCEDURE_AGO),
        PatientFactory(procedure=timezone.now() - PROCEDURE_AGO),
    )
    for patient in (batched, single):
        diary(patient, team=team, open_episode=open_episode, two_alerting=two_alerting)
    book = scan._book()
    detections = scan.full_rescan_detections(book)
    assert {d.code for d in detections} >= {"rising_fever", "new_weakness"}
    created = scan.create_alerts([d for d in detections if d.patient_id == batched.pk], book)
    created_single = raise_one_at_a_time([d for d in detections if d.patient_id == single.pk], book)
    assert created == created_single > 0
    assert snapshot(batched) == snapshot(single)
    assert snapshot(batched)  # the scenario raised something
    # Again: nothing new, nothing twice.
    assert scan.create_alerts(detections, book) == 0


def test_a_scan_raises_many_new_alerts_in_a_fixed_number_of_queries(seeded_rules):
    """Alerts of different patients that each start an episode: a handful of statements
    for the whole run, whatever the number of alerts."""

    def statements(patients: int) -> int:
        made = [PatientFactory(procedure=timezone.now() - PROCEDURE_AGO) for _ in range(patients)]
        for patient in made:
            diary(patient, team=True, open_episode=False, two_alerting=False)
        book = scan._book()
        detections = [d for d in scan.full_rescan_detections(book) if d.patient_id in {p.pk for p in made}]
        with CaptureQueriesContext(connection) as queries:
            assert scan.create_alerts(detections, book) == 2 * patients
        return len(queries)

    assert statements(6) == statements(2)
