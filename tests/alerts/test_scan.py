"""The scheduled scan: pattern rules, missed check-ins, the high-water mark, and the
full rescan as the oracle of the incremental path."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from alerts import scan
from alerts.models import Alert, AlertFiring, AlertRule, PatientThreshold, ScanState
from alerts.raising import firing_codes
from alerts.scan_queries import ALERT_CODES
from messaging.models import InboxItem
from patients.models import SymptomEntry
from portal.outbox.models import Notification
from tests.factories import PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db
PATTERN_CODES = set(ALERT_CODES)


def pattern_alert_keys() -> set[str]:
    """The pattern rules' firings recorded on alerts (one per patient, rule and episode)."""
    return set(AlertFiring.objects.filter(rule__code__in=PATTERN_CODES).values_list("dedup_key", flat=True))


def oracle_keys() -> set[str]:
    return {d.dedup_key for d in scan.full_rescan_detections()}


def at(patient, hours: float):
    return patient.procedures.get().performed_at + timedelta(hours=hours)


@pytest.fixture
def recovering(db, clinician, patient):
    patient.procedures.update(performed_at=timezone.now() - timedelta(days=20))
    return patient


def test_not_improving_at_72h(recovering, clinician):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 5), headache=6, back_pain=1)
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 30), headache=5, back_pain=1)
    entry = SymptomEntryFactory(
        patient=recovering, recorded_at=at(recovering, 80), headache=6, back_pain=1, positional_headache=True
    )
    report = scan.scan_symptom_logs()
    assert report.alerts_created == 1
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.entry, alert.severity) == ("not_improving_72h", entry, "contact_provider")
    assert "anesthesiology review" in alert.clinician_message
    assert InboxItem.objects.filter(pk=Alert.objects.get(pk=alert.pk).inbox_item_id, priority="high").exists()
    # Later entries of the same episode do not raise it again.
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 100), headache=7, back_pain=1)
    scan.scan_symptom_logs()
    assert Alert.objects.filter(rule__code="not_improving_72h").count() == 1


def test_rising_fever_over_three_readings_within_48h(recovering, clinician):
    for hours, temp in ((300, "37.0"), (310, "37.2"), (320, "37.5")):
        SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, hours), temperature_c=Decimal(temp))
    scan.scan_symptom_logs()
    assert Alert.objects.get().rule.code == "rising_fever"


def test_rising_fever_skips_entries_without_a_temperature(recovering):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300), temperature_c=Decimal("37.0"))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 305))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 310), temperature_c=Decimal("37.2"))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 315))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 320), temperature_c=Decimal("37.6"))
    scan.scan_symptom_logs()
    assert set(Alert.objects.values_list("rule__code", flat=True)) == {"rising_fever"}


def test_rising_fever_not_when_spread_over_more_than_48h(recovering):
    for hours, temp in ((300, "37.0"), (330, "37.2"), (349, "37.5")):
        SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, hours), temperature_c=Decimal(temp))
    scan.scan_symptom_logs()
    assert not Alert.objects.exists()


def test_new_weakness_after_an_entry_without_it(recovering, clinician):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    entry = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 310), numbness=True)
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 320), numbness=True)  # not new any more
    scan.scan_symptom_logs()
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.entry, alert.severity) == ("new_weakness", entry, "urgent")
    assert InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id).priority == "urgent"


def test_late_back_pain_and_its_urgent_form_with_fever(recovering):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 15 * 24 + 1), back_pain=3)
    SymptomEntryFactory(
        patient=recovering, recorded_at=at(recovering, 15 * 24 + 5), back_pain=3, temperature_c=Decimal("38.0")
    )
    scan.scan_symptom_logs()
    assert sorted(Alert.objects.filter(rule__code="late_back_pain").values_list("severity", flat=True)) == [
        "contact_provider",
        "urgent",
    ]


def test_entries_entered_in_error_are_not_readings(recovering):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    SymptomEntryFactory(
        patient=recovering, recorded_at=at(recovering, 310), leg_weakness=True, entered_in_error_at=timezone.now()
    )
    scan.scan_symptom_logs()
    assert not Alert.objects.exists()


def test_a_custom_threshold_applies_in_the_scan(recovering, clinician):
    PatientThreshold.objects.create(
        patient=recovering, rule=AlertRule.objects.get(code="late_back_pain"), value=5, set_by=clinician
    )
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 15 * 24 + 1), back_pain=4)
    scan.scan_symptom_logs()
    assert not Alert.objects.exists()
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 15 * 24 + 3), back_pain=5)
    scan.scan_symptom_logs()
    # (With not_improving_72h: the first entry is the baseline of a patient who started logging late.)
    assert "late_back_pain" in firing_codes(Alert.objects.get())


def test_high_water_mark_moves_past_settled_entries_only(recovering, settings):
    settings.AFTERCARE_SCAN_OVERLAP_SECONDS = 120
    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        old = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    fresh = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 301))
    scan.scan_symptom_logs()
    state = ScanState.objects.get(name=scan.INCREMENTAL)
    assert state.high_water_id == old.pk  # the fresh one is read again next time (overlap)
    assert fresh.pk > state.high_water_id


def test_an_entry_committed_late_with_a_lower_id_is_not_skipped(recovering, settings):
    """Rows commit out of id order: the overlap re-reads recent ids, so a late one counts."""
    settings.AFTERCARE_SCAN_OVERLAP_SECONDS = 120
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    late = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 310), leg_weakness=True)
    # Simulate the late commit: the row is invisible to the first scan.
    late.entered_in_error_at = timezone.now()
    late.save()
    scan.scan_symptom_logs()
    late.entered_in_error_at = None
    late.save()
    scan.scan_symptom_logs()
    assert Alert.objects.get().rule.code == "new_weakness"


def test_a_backdated_entry_reopens_the_later_entries(recovering, settings):
    settings.AFTERCARE_SCAN_OVERLAP_SECONDS = 0
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300), temperature_c=Decimal("37.0"))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 320), temperature_c=Decimal("37.6"))
    scan.scan_symptom_logs()
    assert not Alert.objects.exists()
    # Recorded between the two, entered later: the 37.6 reading now completes a rise.
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 310), temperature_c=Decimal("37.2"))
    scan.scan_symptom_logs()
    assert Alert.objects.get().rule.code == "rising_fever"
    assert pattern_alert_keys() == oracle_keys()


def test_missed_checkin_reminds_the_patient_only_once(patient, clinician):
    patient.procedures.update(performed_at=timezone.now() - timedelta(hours=30))
    scan.scan_symptom_logs()
    scan.scan_symptom_logs()
    reminders = Notification.objects.filter(kind="reminder")
    assert list(reminders.values_list("recipient", flat=True)) == [patient.user_id]
    assert not Alert.objects.exists() and not InboxItem.objects.exists()


def test_no_reminder_after_a_recent_entry_or_after_day_3(patient, other_patient):
    patient.procedures.update(performed_at=timezone.now() - timedelta(hours=30))
    SymptomEntryFactory(patient=patient, recorded_at=timezone.now() - timedelta(hours=2))
    other_patient.procedures.update(performed_at=timezone.now() - timedelta(days=5))
    scan.scan_symptom_logs()
    assert not Notification.objects.filter(kind="reminder").exists()


def test_command_runs_a_scan_and_a_full_rescan(recovering, capsys):
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 310), leg_weakness=True)
    call_command("scan_symptom_logs")
    assert "1 new on alerts" in capsys.readouterr().out
    AlertFiring.objects.update(dedup_key=Concat("dedup_key", Value("-moved-aside")))  # as if the scan missed it
    call_command("scan_symptom_logs", "--full")
    assert "1 new on alerts" in capsys.readouterr().out
    assert Alert.objects.count() == 1  # it joined the entry's alert


# --- The oracle: incremental == full rescan --------------------------------------------------


def make_diaries(rng: random.Random, patients: int, start_days_ago: int = 22, late_starters: float = 0.0) -> list:
    """Realistic diaries: every 6-14 h, pains drifting, fevers, some deficits; a share of
    the patients (``late_starters``) logs nothing before 2 to 5 days after the procedure."""
    now = timezone.now()
    plans = []
    for _ in range(patients):
        patient = PatientFactory(procedure=now - timedelta(days=rng.randint(3, start_days_ago)))
        first = rng.uniform(49, 120) if rng.random() < late_starters else rng.uniform(0.5, 3)
        t = patient.procedures.get().performed_at + timedelta(hours=first)
        headache, back, temp = rng.randint(0, 7), rng.randint(0, 6), Decimal("36.8")
        while t < now - timedelta(minutes=5):
            headache = max(0, min(10, headache + rng.choice((-2, -1, 0, 0, 1, 2))))
            back = max(0, min(10, back + rng.choice((-1, 0, 0, 1))))
            temp = max(Decimal("35.5"), min(Decimal("40.0"), temp + Decimal(rng.choice((-3, -1, 0, 2, 3, 4))) / 10))
            plans.append(
                dict(
                    patient=patient,
                    recorded_at=t,
                    headache=headache,
                    back_pain=back,
                    temperature_c=temp if rng.random() < 0.7 else None,
                    leg_weakness=rng.random() < 0.08,
                    numbness=rng.random() < 0.05,
                    positional_headache=rng.random() < 0.4,
                    entered_in_error_at=now if rng.random() < 0.03 else None,
                )
            )
            t += timedelta(hours=rng.uniform(6, 14))
    plans.sort(key=lambda p: p["recorded_at"])
    return plans


@pytest.mark.parametrize("seed", [1, 2])
def test_full_rescan_finds_exactly_what_the_incremental_scans_found(db, seed):
    rng = random.Random(seed)
    plans = make_diaries(rng, patients=8)
    # Entries arrive in batches; a scan runs between batches.
    for start in range(0, len(plans), 17):
        for plan in plans[start : start + 17]:
            SymptomEntryFactory(**plan)
        scan.scan_symptom_logs()
    found = pattern_alert_keys()
    assert len(found) >= 5  # the data exercises the rules
    assert {key.split(":")[1] for key in found} >= {"new_weakness", "not_improving_72h"}
    assert found == oracle_keys()
    # And the rescan on an empty alert table creates exactly the same set.
    assert scan.full_rescan().alerts_created == 0


def test_oracle_holds_with_custom_thresholds_and_one_rule_enabled(db, clinician):
    rng = random.Random(7)
    plans = make_diaries(rng, patients=6)
    patients = {p["patient"].pk: p["patient"] for p in plans}
    first = next(iter(patients.values()))
    PatientThreshold.objects.create(
        patient=first, rule=AlertRule.objects.get(code="rising_fever"), value=Decimal("37.1"), set_by=clinician
    )
    # Only one rule on: the prefilter must still apply after the windows, not before.
    AlertRule.objects.filter(code__in=PATTERN_CODES - {"rising_fever"}).update(enabled=False)
    for start in range(0, len(plans), 23):
        for plan in plans[start : start + 23]:
            SymptomEntryFactory(**plan)
        scan.scan_symptom_logs()
    found = pattern_alert_keys()
    assert found and {key.split(":")[1] for key in found} == {"rising_fever"}
    assert found == oracle_keys()


def test_a_backlog_is_worked_off_in_batches(recovering, settings):
    settings.AFTERCARE_SCAN_BATCH = 2
    settings.AFTERCARE_SCAN_OVERLAP_SECONDS = 0
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 300))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 301))
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 302))
    weak = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 303), leg_weakness=True)
    scan.scan_symptom_logs()
    assert not Alert.objects.exists()  # only the first two so far
    scan.scan_symptom_logs()
    assert Alert.objects.get().entry == weak
    assert ScanState.objects.get(name=scan.INCREMENTAL).high_water_id == weak.pk


def test_oracle_holds_with_late_starters_and_resolved_episodes(db):
    """CLINICAL.md section 3 as changed: a late starter's baseline is their first 48 h of
    logging, and a resolved state alert re-arms its rule 24 h after the resolution. The
    clock follows the diaries; after each scan a clinician resolves half of the open
    alerts of the state rules. The incremental scans and the rescan find the same."""
    from alerts.services import resolve_alert
    from tests.factories import CareTeamGrantFactory, ClinicianFactory

    rng = random.Random(13)
    plans = make_diaries(rng, patients=10, late_starters=0.5)
    clinician = ClinicianFactory()
    for patient in {p["patient"].pk: p["patient"] for p in plans}.values():
        CareTeamGrantFactory(patient=patient, clinician=clinician)
    for start in range(0, len(plans), 9):
        batch = plans[start : start + 9]
        with time_machine.travel(batch[-1]["recorded_at"] + timedelta(minutes=30), tick=False):
            for plan in batch:
                SymptomEntryFactory(**{**plan, "entered_in_error_at": plan["entered_in_error_at"] and timezone.now()})
            scan.scan_symptom_logs()
            for alert in Alert.objects.filter(status="open", firings__rule__code__in=scan.STATE_CODES).distinct():
                if rng.random() < 0.5:
                    resolve_alert(alert=alert, by=clinician, note="Reviewed")
    found = pattern_alert_keys()
    assert found == oracle_keys()
    codes = {key.split(":")[1] for key in found}
    assert {"not_improving_72h", "late_back_pain"} <= codes
    assert any(":after" in key for key in found)  # re-armed episodes happened
    late = {p["patient"].pk for p in plans if p["recorded_at"] - p["patient"].procedures.get().performed_at}
    assert late  # (the diaries have patients)
    late_starters = [
        pk
        for pk in late
        if not SymptomEntry.objects.filter(
            patient_id=pk, recorded_at__lt=F("patient__procedures__performed_at") + timedelta(hours=48)
        ).exists()
    ]
    fired_late = AlertFiring.objects.filter(rule__code="not_improving_72h", alert__patient_id__in=late_starters)
    assert late_starters and fired_late.exists()  # a late starter's baseline was used


# --- Baseline and re-arming of the state rules (CLINICAL.md section 3) -----------------------


@pytest.mark.parametrize(
    ("entries", "fires"),
    [
        ([(10, 6), (80, 6)], True),  # day 0-1 high 6, at 80 h still 6
        ([(10, 7), (80, 6)], False),  # lower than the day 0-1 high: improving
        ([(10, 6), (47.9, 7), (80, 6)], False),  # 47.9 h is still day 0-1: the high is 7
        ([(10, 6), (48, 7), (80, 6)], True),  # 48 h is past day 0-1: the high stays 6
        ([(60, 6), (80, 6)], True),  # started logging after day 1: the first 48 h of logging
        ([(60, 6), (80, 5)], False),
        ([(60, 6), (70, 8), (80, 6)], False),  # both in the first 48 h of logging: high 8
        ([(60, 6), (110, 3), (120, 6)], True),  # 110 h is past 60 + 48: the high stays 6
        ([(80, 6)], False),  # a first entry compares with nothing
        ([(80, 6), (90, 6)], True),  # with a single earlier entry, that entry
    ],
    ids=[
        "day 0-1 same",
        "day 0-1 higher",
        "47.9h in the baseline",
        "48h not in the baseline",
        "late start same",
        "late start lower",
        "late start high in window",
        "late start high past window",
        "first entry",
        "single earlier entry",
    ],
)
@pytest.mark.parametrize("path", ["incremental", "rescan"])
def test_not_improving_72h_baseline(recovering, entries, fires, path):
    last = None
    for hours, headache in entries:
        last = SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, hours), headache=headache)
    detections = scan.full_rescan_detections() if path == "rescan" else None
    if path == "incremental":
        scan.scan_symptom_logs()
        detections = list(
            AlertFiring.objects.filter(rule__code="not_improving_72h").values_list("alert__entry", flat=True)
        )
        assert (last.pk in detections) is fires
    else:
        assert any(d.code == "not_improving_72h" and d.entry_id == last.pk for d in detections) is fires


@pytest.mark.parametrize(
    ("hours_after_resolution", "again"),
    [(23.9, False), (24, True), (24.1, True)],
    ids=["23.9h after", "24h after", "24.1h after"],
)
@pytest.mark.parametrize(
    ("code", "first", "entry"),
    [
        ("late_back_pain", 15 * 24 + 2, dict(back_pain=4)),
        ("not_improving_72h", 80, dict(headache=6)),
    ],
    ids=["late_back_pain", "not_improving_72h"],
)
def test_a_state_rule_re_arms_24h_after_its_alert_is_resolved(
    recovering, clinician, code, first, entry, hours_after_resolution, again
):
    from alerts.services import resolve_alert

    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, 10), headache=6)
    SymptomEntryFactory(patient=recovering, recorded_at=at(recovering, first), **entry)
    resolved_at = at(recovering, first + 1)
    with time_machine.travel(resolved_at, tick=False):
        scan.scan_symptom_logs()
        resolve_alert(alert=Alert.objects.get(firings__rule__code=code), by=clinician, note="Seen")
    later = at(recovering, first + 1 + hours_after_resolution)
    SymptomEntryFactory(patient=recovering, recorded_at=later, **entry)
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        scan.scan_symptom_logs()
    assert AlertFiring.objects.filter(rule__code=code).count() == (2 if again else 1)
    assert pattern_alert_keys() == oracle_keys()


def test_the_rescan_streams_in_chunks_and_finds_the_same(db, monkeypatch):
    """The rescan decides its candidates a chunk at a time (late starters' baselines and
    resolutions read per chunk, the earliest entry of each episode kept across chunks):
    chunks of 3 rows find exactly what one chunk finds."""
    rng = random.Random(5)
    for plan in make_diaries(rng, patients=8, late_starters=0.5):
        SymptomEntryFactory(**plan)
    whole = scan.full_rescan_detections()
    assert len(whole) >= 5
    monkeypatch.setattr(scan, "CHUNK", 3)
    chunked = scan.full_rescan_detections()
    assert [(d.dedup_key, d.entry_id) for d in chunked] == [(d.dedup_key, d.entry_id) for d in whole]
