"""The scheduled scan: pattern rules of CLINICAL.md section 3 and missed check-ins.

Two ways to compute the same thing, kept honest by the tests (the full rescan is the
oracle of the incremental scan):

* ``scan_symptom_logs`` (every minute): only entries past the stored high-water mark.
  Each candidate's look-back (previous entry, previous temperatures, the baseline of
  ``not_improving_72h``, latest procedure) is a correlated, indexed look-up, so the
  cost follows the new rows, never the size of the history.
* ``full_rescan`` (nightly, and ``scan_symptom_logs --full``): one window query over
  every entry (``LAG``/``MAX ... OVER (PARTITION BY patient)``); the baseline of a
  patient who started logging late (nothing in the first 48 h after the procedure)
  is read by one more query for those patients only.

A finding becomes a firing on the alert of its entry (``alerts.raising``: one alert
per entry). The state rules (``not_improving_72h``, ``late_back_pain``) fire once per
episode: the episode is in the firing's key, and a new one starts with the first
entry that meets the rule ``rearm_after_hours`` after the previous episode's alert
was resolved (CLINICAL.md section 3). Both scans read the same resolutions.

Both ask SQL only for rows that could fire under the loosest threshold of any patient,
then let the pure engine decide with each patient's own thresholds. Alerts are
idempotent: their dedup key is unique per patient, rule and episode.

The two queries are built in ``alerts.scan_queries`` (with the ORM trap they avoid);
this module runs them, decides with the engine, and writes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.utils import timezone

from alerts import engine
from alerts.models import AlertFiring, RuleKind, ScanState
from alerts.raising import EntryFindings, Finding, entry_alert_key, raise_many
from alerts.rules import RuleBook, all_overrides, rule_rows
from alerts.scan_queries import (
    baseline_span,
    could_fire,
    fever_window,
    latest_procedures,
    valid_entries,
    with_lookups,
    with_windows,
)
from alerts.services import patient_facts
from patients.models import Patient, Procedure, SymptomEntry
from patients.routing import responsible_for_each
from portal.outbox.services import queue_notification

INCREMENTAL = "symptom_scan"
FULL = "full_rescan"
FEATURES = (
    "id",
    "patient_id",
    "recorded_at",
    "back_pain",
    "headache",
    "temperature_c",
    *engine.YES_NO_FIELDS,
    "proc_at",
    "prev_deficit",
    "prev_temp_1",
    "prev_temp_2",
    "prev_temp_2_at",
    "baseline_headache",
    "baseline_back_pain",
    "early_entries",
)
STATE_CODES = ("not_improving_72h", "late_back_pain")


@dataclass(frozen=True)
class Detection:
    patient_id: int
    code: str
    entry_id: int
    severity: str
    dedup_key: str
    fired: engine.Fired = field(compare=False, hash=False)
    reading: engine.Reading = field(compare=False, hash=False)


@dataclass
class ScanReport:
    ran: bool = True  # False: another worker holds the scan
    entries: int = 0  # candidate entries evaluated (past the prefilter)
    detections: int = 0
    alerts_created: int = 0  # new findings on alerts (a new alert, or a rule joining its entry's alert)
    reminders: int = 0
    high_water_id: int = 0


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def episode_key(
    *,
    code: str,
    patient_id: int,
    entry_id: int,
    procedure_at: datetime | None,
    severity: str,
    resolved_before: datetime | None = None,
) -> str:
    """The dedup key of a pattern firing: one per patient, rule and episode.

    An event rule (rising fever, new weakness) is an episode per entry. A state rule
    (not improving, late back pain) is an episode per procedure (per severity), and
    a new one after each resolution of its alert: ``resolved_before`` is the latest
    resolution of the rule's alerts at least ``rearm_after_hours`` before the entry."""
    if code in STATE_CODES and procedure_at is not None:
        suffix = f":{severity}" if code == "late_back_pain" else ""
        key = f"p{patient_id}:{code}:since{_stamp(procedure_at)}{suffix}"
        return f"{key}:after{_stamp(resolved_before)}" if resolved_before is not None else key
    return f"p{patient_id}:{code}:e{entry_id}"


def chain_of(dedup_key: str) -> str:
    """A state rule's firing key without its episode: the key of the first episode."""
    return dedup_key.split(":after", 1)[0]


def _decide(row: dict, book: RuleBook, resolutions: dict[str, list[datetime]]) -> list[Detection]:
    """The pure engine decides for one candidate row, with the patient's thresholds."""
    reading = engine.Reading(
        recorded_at=row["recorded_at"],
        back_pain=row["back_pain"],
        headache=row["headache"],
        temperature_c=row["temperature_c"],
        entry_id=row["id"],
        **{name: bool(row[name]) for name in engine.YES_NO_FIELDS},
    )
    window = fever_window(book)
    temperatures: tuple[Decimal, ...] = ()
    if row["prev_temp_1"] is not None:
        temperatures = (row["prev_temp_1"],)
        second_at = row["prev_temp_2_at"]
        if row["prev_temp_2"] is not None and (second_at is None or second_at >= row["recorded_at"] - window):
            temperatures += (row["prev_temp_2"],)
    context = engine.PatternContext(
        reading=reading,
        previous_has_deficit=row["prev_deficit"],
        previous_temperatures=temperatures,
        baseline_headache=row["baseline_headache"],
        baseline_back_pain=row["baseline_back_pain"],
    )
    facts = engine.PatientFacts(procedure_at=row["proc_at"])
    rules = book.for_patient(row["patient_id"])
    detections = []
    for fired in engine.evaluate_patterns(context, rules, facts):
        first = episode_key(
            code=fired.code,
            patient_id=row["patient_id"],
            entry_id=row["id"],
            procedure_at=row["proc_at"],
            severity=fired.severity,
        )
        key = first
        if fired.code in STATE_CODES:
            rearm = timedelta(hours=float(rules[fired.code]["rearm_after_hours"]))
            ended = [at for at in resolutions.get(first, []) if at + rearm <= row["recorded_at"]]
            if ended:
                key = episode_key(
                    code=fired.code,
                    patient_id=row["patient_id"],
                    entry_id=row["id"],
                    procedure_at=row["proc_at"],
                    severity=fired.severity,
                    resolved_before=max(ended),
                )
        detections.append(Detection(row["patient_id"], fired.code, row["id"], fired.severity, key, fired, reading))
    return detections


def late_start_baselines(rows: list[dict], book: RuleBook) -> None:
    """The baseline of rows whose patient logged nothing in the first ``baseline_hours``
    after the procedure (``early_entries`` 0, the window path): the highest values of
    their first ``baseline_hours`` of logging, before the row. One query for all."""
    late = [r for r in rows if r["early_entries"] == 0 and r["proc_at"] is not None]
    if not late:
        return
    span = baseline_span(book)
    first_hours = (
        valid_entries()
        .filter(patient_id__in={r["patient_id"] for r in late})
        .annotate(latest_procedure=latest_procedures())
        .filter(recorded_at__gte=F("latest_procedure__performed_at"))
        .annotate(first_logged=Window(Min("recorded_at"), partition_by=[F("patient_id")]))
        .filter(recorded_at__lt=F("first_logged") + span)
        .values_list("patient_id", "recorded_at", "id", "headache", "back_pain")
    )
    by_patient: dict[int, list[tuple]] = {}
    for patient_id, *entry in first_hours:
        by_patient.setdefault(patient_id, []).append(tuple(entry))
    for row in late:
        before = [e for e in by_patient.get(row["patient_id"], []) if (e[0], e[1]) < (row["recorded_at"], row["id"])]
        row["baseline_headache"] = max((e[2] for e in before), default=None)
        row["baseline_back_pain"] = max((e[3] for e in before), default=None)


def resolved_episodes(patient_ids: set[int]) -> dict[str, list[datetime]]:
    """When the state rules' alerts of these patients were resolved, by the key of each
    rule's first episode (one query): a later entry that meets the rule starts anew."""
    resolutions: dict[str, list[datetime]] = {}
    firings = AlertFiring.objects.filter(
        rule__code__in=STATE_CODES, alert__patient_id__in=patient_ids, alert__resolved_at__isnull=False
    ).values_list("dedup_key", "alert__resolved_at")
    for key, resolved_at in firings:
        resolutions.setdefault(chain_of(key), []).append(resolved_at)
    return resolutions


CHUNK = 5_000  # candidate rows decided at a time: the memory of a rescan stays flat


def detect(rows: QuerySet[SymptomEntry], book: RuleBook) -> list[Detection]:
    """Decide every candidate row, streamed in chunks (a server-side cursor on
    PostgreSQL): the late starters' baselines and the resolutions are read per chunk,
    and only the detections are kept, one per episode (the earliest entry of an
    episode carries it)."""
    earliest: dict[str, Detection] = {}

    def order(d: Detection) -> tuple:
        return (d.reading.recorded_at, d.entry_id)

    stream = rows.values(*FEATURES).order_by().iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(stream, CHUNK)):
        late_start_baselines(chunk, book)
        resolutions = resolved_episodes({row["patient_id"] for row in chunk})
        for row in chunk:
            for d in _decide(row, book, resolutions):
                kept = earliest.get(d.dedup_key)
                if kept is None or order(d) < order(kept):
                    earliest[d.dedup_key] = d
    return sorted(earliest.values(), key=order)


def _book() -> RuleBook:
    """The pattern rules plus the instant ones they refer to ("with fever" uses the
    patient's fever threshold), with every patient's custom values."""
    rows = rule_rows([RuleKind.PATTERN, RuleKind.INSTANT])
    return RuleBook(rows, all_overrides([row.code for row in rows]))


# --- Writing alerts ------------------------------------------------------------------------


def create_alerts(detections: list[Detection], book: RuleBook) -> int:
    """Record new detections as firings on the alert of their entry (one alert per
    entry, alerts.raising); known keys are skipped in one query, and the unique key
    settles any race with another writer. Returns how many firings were new."""
    if not detections:
        return 0
    known = set(
        AlertFiring.objects.filter(dedup_key__in=[d.dedup_key for d in detections]).values_list("dedup_key", flat=True)
    )
    by_entry: dict[int, list[Detection]] = {}
    for d in detections:
        if d.dedup_key not in known:
            by_entry.setdefault(d.entry_id, []).append(d)
    if not by_entry:
        return 0
    patients = Patient.objects.select_related("user").in_bulk(
        {d.patient_id for group in by_entry.values() for d in group}
    )
    entries = SymptomEntry.objects.in_bulk(set(by_entry))
    responsible = responsible_for_each(patients.values())
    return raise_many(
        [
            EntryFindings(
                patient=patients[group[0].patient_id],
                entry=entries.get(entry_id),
                alert_key=entry_alert_key(patient_id=group[0].patient_id, entry_id=entry_id),
                findings=sorted(
                    (Finding.of(d.fired, book.rows[d.code], d.dedup_key, d.reading) for d in group),
                    key=lambda f: f.rank,
                ),
                responsible=responsible[group[0].patient_id],
            )
            for entry_id, group in by_entry.items()
        ]
    )


# --- Missed check-ins ----------------------------------------------------------------------


def remind_missed_checkins(book: RuleBook, *, now: datetime | None = None) -> int:
    """Reminders to patients in days 0..N with no entry for the gap (patient only, no
    clinician item). One per gap: the dedup key names where the gap began."""
    rule = book.defaults.get("missed_checkin")
    if rule is None or not rule.enabled:
        return 0
    now = now or timezone.now()
    shortest_gap = timedelta(hours=float(book.loosest("missed_checkin", "gap_hours")))
    latest = Procedure.objects.filter(patient_id=OuterRef("patient_id")).order_by("-performed_at").values("id")[:1]
    last_entry = (
        valid_entries().filter(patient_id=OuterRef("patient_id")).order_by("-recorded_at").values("recorded_at")[:1]
    )
    candidates = (
        Procedure.objects.filter(
            performed_at__gt=now - timedelta(days=float(rule["last_day"]) + 1),
            performed_at__lte=now - shortest_gap,
            id=Subquery(latest),
        )
        .annotate(last_entry_at=Subquery(last_entry))
        .filter(Q(last_entry_at__isnull=True) | Q(last_entry_at__lte=now - shortest_gap))
        .select_related("patient__user")
    )
    sent = 0
    for procedure in candidates:
        patient = procedure.patient
        rules = book.for_patient(patient.pk)
        anchor = engine.missed_checkin_anchor(
            last_entry_at=procedure.last_entry_at,
            facts=patient_facts(patient, procedure.performed_at),
            now=now,
            rule=rules["missed_checkin"],
        )
        if anchor is None:
            continue
        since = anchor.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        queued = queue_notification(
            recipient=patient.user,
            kind="reminder",
            dedup_key=f"reminder:p{patient.pk}:missed_checkin:{since}",
            link="/",
        )
        sent += queued is not None
    return sent


# --- The two scans -------------------------------------------------------------------------


def _batch() -> int:
    """New entries read per incremental run (``AFTERCARE_SCAN_BATCH``, default 50,000)."""
    return max(1, int(getattr(settings, "AFTERCARE_SCAN_BATCH", 50_000)))


def _without_jit() -> None:
    """PostgreSQL's JIT compiles these queries for longer than they run (their cost
    estimate is high because of the per-row look-ups): off for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _claim(name: str) -> ScanState | None:
    """Lock this scan's state row, or None when another worker holds it (skip_locked)."""
    ScanState.objects.get_or_create(name=name)
    return ScanState.objects.select_for_update(skip_locked=True).filter(name=name).first()


def scan_symptom_logs() -> ScanReport:
    """One incremental scan.

    1. Claim the scan-state row (``select_for_update(skip_locked=True)``): a second
       worker or beat returns at once; the lock is held until the run commits.
    2. Candidates: entries past the high-water mark (one batch). Entries that were recorded
       before an already-scanned entry (backdated) also re-open that patient's later
       entries, whose look-back just changed.
    3. One query computes the candidates' look-back features and keeps only rows that
       could fire; the pure engine decides per patient.
    4. Create the alerts (dedup keys: re-reading a row never duplicates).
    5. Missed check-ins: reminders to the patient.
    6. Move the mark to the newest entry created more than the overlap ago: rows commit
       out of id order, so recent ids are read again next time (harmless, idempotent).
    """
    with transaction.atomic():
        state = _claim(INCREMENTAL)
        if state is None:
            return ScanReport(ran=False)
        _without_jit()
        now = timezone.now()
        mark = state.high_water_id
        book = _book()
        # At most one batch of new ids per run (a backlog, say after downtime, is worked
        # off over the next runs instead of in one long transaction).
        upper = (
            SymptomEntry.objects.filter(id__gt=mark)
            .order_by("id")
            .values_list("id", flat=True)[_batch() - 1 : _batch()]
        )
        upper_id = next(iter(upper), None)
        in_batch = Q(id__gt=mark) if upper_id is None else Q(id__gt=mark, id__lte=upper_id)
        new = valid_entries().filter(in_batch)
        # Backdated: recorded before an entry that an earlier scan already read.
        scanned_later = valid_entries().filter(
            patient_id=OuterRef("patient_id"), recorded_at__gt=OuterRef("recorded_at"), id__lte=mark
        )
        # Scanned entries were created (so recorded) before the previous run: an entry
        # recorded after that run cannot precede one, and needs no look-up.
        maybe_backdated = new if state.last_run_at is None else new.filter(recorded_at__lt=state.last_run_at)
        backdated = list(maybe_backdated.filter(Exists(scanned_later)).values_list("patient_id", "recorded_at"))
        scope = in_batch
        if backdated:
            # A superset (those patients' entries since the earliest backdated one) keeps
            # this one indexed condition; re-reading a row is harmless (dedup keys).
            scope |= Q(
                patient_id__in={patient_id for patient_id, _ in backdated},
                recorded_at__gt=min(recorded_at for _, recorded_at in backdated),
            )
        candidates = with_lookups(valid_entries().filter(scope), book).filter(could_fire(book))
        detections = detect(candidates, book)
        created = create_alerts(detections, book)
        reminders = remind_missed_checkins(book, now=now)
        settled = (
            SymptomEntry.objects.filter(in_batch)
            .filter(created_at__lte=now - timedelta(seconds=settings.AFTERCARE_SCAN_OVERLAP_SECONDS))
            .aggregate(top=Max("id"))["top"]
        )
        state.high_water_id = max(mark, settled or 0)
        state.last_run_at = now
        state.last_run_entries = len({d.entry_id for d in detections})
        state.last_run_alerts = created
        state.save()
    return ScanReport(
        entries=state.last_run_entries,
        detections=len(detections),
        alerts_created=created,
        reminders=reminders,
        high_water_id=state.high_water_id,
    )


def full_rescan_detections(book: RuleBook | None = None) -> list[Detection]:
    """Every pattern detection over the whole diary: one window query (the oracle)."""
    book = book or _book()
    rows = with_windows(valid_entries(), book).filter(could_fire(book))
    return detect(rows, book)


def full_rescan() -> ScanReport:
    """The nightly safety net: create any pattern alert the incremental scan missed."""
    with transaction.atomic():
        state = _claim(FULL)
        if state is None:
            return ScanReport(ran=False)
        _without_jit()
        book = _book()
        detections = full_rescan_detections(book)
        created = create_alerts(detections, book)
        state.last_run_at = timezone.now()
        state.last_run_entries = len({d.entry_id for d in detections})
        state.last_run_alerts = created
        state.save()
    return ScanReport(entries=state.last_run_entries, detections=len(detections), alerts_created=created)
