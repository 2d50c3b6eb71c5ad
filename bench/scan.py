"""Scan and outbox benchmark (PostgreSQL).

Run from the project folder (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/scan.py [--small] [--keep]

1. Creates its own database (``aftercare_bench``), migrates it.
2. Seeds, with bulk SQL (INSERT ... SELECT generate_series): 50,000 patients, each
   with a procedure 5-20 days ago and a care-team clinician, and 1,000,000 diary
   entries (20 per patient); then 10,000 new entries (2 for each of 5,000 patients).
3. Prints, in one run:
   a. the incremental scan of the 10,000 new entries over 1,000,000 history rows
      (target <= 0.15 s), best of 3;
   b. the full rescan (ORM window query + engine) against one raw SQL ``LAG()``
      query doing the same detection, with the ratio (target <= 1.6) and whether
      the alert sets are identical; then the same detection in a separate process
      (a worker), its peak resident memory (target < 300 MB) beside its time;
   c. 1,000 urgent entries evaluated, their alerts and 2,000 emails (care team +
      patient) delivered end to end to a local aiosmtpd server, exactly once
      (target < 10 s);
   d. the same incremental scan over 10,000 history rows instead of 1,000,000, and
      the ratio big/small (target <= 1.2: the cost follows new work, not history).
4. Drops the database (unless ``--keep``).

``--small`` runs the same steps on 1/50 of the data, in seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("AFTERCARE_BENCH_SCAN_DB", "aftercare_bench")  # make bench runs it in its own
SERVER = "postgres://postgres@127.0.0.1:5432"

os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
os.environ["CELERY_BROKER_URL"] = "memory://"  # the on-commit trigger goes nowhere: the bench delivers itself


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- Bulk seeding -----------------------------------------------------------------------------


def columns(cursor, table: str) -> list[tuple[str, str, bool, bool]]:
    cursor.execute(
        "SELECT column_name, data_type, is_nullable = 'YES', column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return cursor.fetchall()


FILLERS = {
    "boolean": "false",
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "numeric": "0",
    "text": "''",
    "character varying": "''",
    "jsonb": "'[]'::jsonb",
    "json": "'[]'::json",
    "timestamp with time zone": "now()",
    "date": "'1980-01-01'",
    "uuid": "gen_random_uuid()",
}


def insert_select(cursor, table: str, values: dict[str, str], source: str) -> int:
    """INSERT ... SELECT with the given expressions; every other NOT NULL column gets a
    neutral value of its type (the bench survives other apps adding columns)."""
    names, exprs = [], []
    for name, dtype, nullable, has_default in columns(cursor, table):
        if name in values:
            names.append(name)
            exprs.append(values[name])
        elif name == "id" or nullable or has_default:
            continue
        else:
            names.append(name)
            exprs.append(FILLERS[dtype])
    cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {source}")
    return cursor.rowcount


def seed(patients: int, per_patient: int, clinicians: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT setseed(0.42)")
        insert_select(
            c,
            "accounts_user",
            {
                "password": "'!'",
                "is_superuser": "false",
                "email": "'bench-c' || g || '@example.test'",
                "first_name": "'Clin'",
                "last_name": "'Ician' || g",
                "is_staff": "false",
                "is_active": "true",
                "date_joined": "now()",
                "role": "'clinician'",
                "specialty": "'neurology'",
                "display_units": "'C'",
                "time_zone": "'UTC'",
            },
            f"generate_series(1, {clinicians}) g",
        )
        insert_select(
            c,
            "accounts_user",
            {
                "password": "'!'",
                "is_superuser": "false",
                "email": "'bench-p' || g || '@example.test'",
                "first_name": "'Pat'",
                "last_name": "'Ient' || g",
                "is_staff": "false",
                "is_active": "true",
                "date_joined": "now()",
                "role": "'patient'",
                "specialty": "''",
                "display_units": "'C'",
                "time_zone": "'UTC'",
            },
            f"generate_series(1, {patients}) g",
        )
        insert_select(
            c,
            "patients_patient",
            {
                "user_id": "u.id",
                "date_of_birth": "'1975-03-02'",
                "sex": "'female'",
                "allergies": "'[]'::jsonb",
                "created_at": "now()",
                "updated_at": "now()",
            },
            "accounts_user u WHERE u.role = 'patient' AND u.email LIKE 'bench-p%'",
        )
        # Procedures 5..20 days ago; "seq" is the patient's number 0..N-1.
        insert_select(
            c,
            "patients_procedure",
            {
                "patient_id": "p.id",
                "performed_at": "date_trunc('minute', now()) - ((5 + (p.id % 16)) || ' days')::interval",
                "needle_type": "'atraumatic'",
                "needle_gauge": "22",
                "passes": "1",
                "created_at": "now()",
            },
            "patients_patient p",
        )
        insert_select(
            c,
            "patients_careteamgrant",
            {
                "patient_id": "p.id",
                "clinician_id": f"(SELECT min(id) FROM accounts_user WHERE role = 'clinician') + (p.id % {clinicians})",
                "granted_at": "now()",
            },
            "patients_patient p",
        )
        # The diary: ``per_patient`` entries spread evenly from the procedure to 2 hours ago.
        insert_select(
            c,
            "patients_symptomentry",
            {
                "patient_id": "pr.patient_id",
                "recorded_at": "pr.performed_at + interval '2 hours' + i * ((now() - interval '4 hours' - pr.performed_at) / "
                f"{per_patient})",
                "created_at": "now() - interval '1 hour'",
                # Most patients improve: pain falls entry by entry. One in 20 does not
                # improve, one in 25 keeps back pain, one in 50 runs a rising temperature.
                "back_pain": "CASE WHEN pr.patient_id % 25 = 1 THEN 3 + floor(random() * 3) "
                "ELSE greatest(0, 4 - i * 0.4 + floor(random() * 3) - 1) END::int",
                "headache": "CASE WHEN pr.patient_id % 20 = 0 THEN 4 + floor(random() * 3) "
                "ELSE greatest(0, 6 - i * 0.6 + floor(random() * 3) - 1) END::int",
                "temperature_c": "CASE WHEN random() < 0.6 THEN round((CASE WHEN pr.patient_id % 50 = 2 "
                "THEN 36.6 + i * 0.08 ELSE 36.3 + random() * 1.0 END)::numeric, 1) END",
                "positional_headache": "random() < 0.3",
                "leg_weakness": "random() < 0.003",
                "numbness": "random() < 0.002",
            },
            f"patients_procedure pr CROSS JOIN generate_series(0, {per_patient - 1}) i",
        )
        c.execute("ANALYZE")
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")  # the steady state: visibility map set, statistics fresh


def sparse_history(patients_every: int) -> None:
    """Replace the diary with one entry for every ``patients_every``-th patient."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("TRUNCATE patients_symptomentry, alerts_alert, messaging_inboxitem, outbox_notification CASCADE")
        insert_select(
            c,
            "patients_symptomentry",
            {
                "patient_id": "pr.patient_id",
                "recorded_at": "now() - interval '3 hours'",
                "created_at": "now() - interval '1 hour'",
                "back_pain": "floor(random() * 6)::int",
                "headache": "floor(random() * 7)::int",
                "temperature_c": "CASE WHEN random() < 0.6 THEN round((36.3 + random() * 1.9)::numeric, 1) END",
                "positional_headache": "random() < 0.3",
                "leg_weakness": "false",
                "numbness": "false",
            },
            f"patients_procedure pr WHERE pr.patient_id % {patients_every} = 0",
        )
        c.execute("ANALYZE")


def add_new_entries(patients_every: int) -> tuple[int, datetime]:
    """The minute's new work: two ordinary new entries per ``patients_every``-th patient,
    recorded and saved since the previous scan (a minute ago); one patient in 200 of
    them reports leg weakness in the second (a new_weakness alert). The history has no
    influence on what fires, so the big and small runs do the same new work."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT now()")
        arrived = c.fetchone()[0]
        count = 0
        for seconds_ago, weakness in ((50, "false"), (20, f"(pr.patient_id / {patients_every}) % 200 = 0")):
            count += insert_select(
                c,
                "patients_symptomentry",
                {
                    "patient_id": "pr.patient_id",
                    "recorded_at": f"now() - interval '{seconds_ago} seconds'",
                    "created_at": f"now() - interval '{seconds_ago - 1} seconds'",
                    "back_pain": "floor(random() * 3)::int",
                    "headache": "floor(random() * 3)::int",
                    "temperature_c": "CASE WHEN random() < 0.6 THEN round((36.4 + random() * 0.6)::numeric, 1) END",
                    "positional_headache": "false",
                    "leg_weakness": weakness,
                    "numbness": "false",
                },
                f"patients_procedure pr WHERE pr.patient_id % {patients_every} = 0",
            )
        c.execute("ANALYZE")
    return count, arrived


# --- Measurements ------------------------------------------------------------------------------


def reset_scan(mark: int, arrived: datetime | None = None) -> None:
    """Forget the alerts of a previous measurement and put the mark back, as if the
    previous scan (every minute, by beat) had run a minute before the new entries arrived."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from alerts.models import ScanState

    with connection.cursor() as c:
        c.execute("TRUNCATE alerts_alert, messaging_inboxitem, outbox_notification CASCADE")
    ScanState.objects.update_or_create(
        name="symptom_scan",
        defaults={"high_water_id": mark, "last_run_at": (arrived or timezone.now()) - timedelta(minutes=1)},
    )


def time_incremental(mark: int, arrived: datetime, runs: int = 3) -> tuple[float, object]:
    from alerts import scan

    best, report = float("inf"), None
    for _ in range(runs):
        reset_scan(mark, arrived)
        started = time.perf_counter()
        report = scan.scan_symptom_logs()
        best = min(best, time.perf_counter() - started)
    return best, report


RAW_LAG_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (patient_id) patient_id, performed_at
    FROM patients_procedure ORDER BY patient_id, performed_at DESC
), first_logged AS (
    -- The baseline starts at the procedure, or at the first entry when nothing was
    -- logged in the first 48 h after it (CLINICAL.md section 3).
    SELECT s.patient_id,
           CASE WHEN MIN(s.recorded_at) >= l.performed_at + %(baseline)s THEN MIN(s.recorded_at)
                ELSE l.performed_at END AS base_from
    FROM patients_symptomentry s JOIN latest l USING (patient_id)
    WHERE s.entered_in_error_at IS NULL AND s.recorded_at >= l.performed_at
    GROUP BY s.patient_id, l.performed_at
), e AS (
    SELECT s.id, s.patient_id, s.recorded_at, s.headache, s.back_pain, s.temperature_c,
           (s.leg_weakness OR s.numbness) AS deficit, l.performed_at AS proc_at,
           LAG(s.leg_weakness OR s.numbness) OVER w AS prev_deficit,
           LAG(s.temperature_c, 1) OVER wt AS t1,
           LAG(s.temperature_c, 2) OVER wt AS t2,
           LAG(s.recorded_at, 2) OVER wt AS t2_at,
           MAX(s.headache) FILTER (WHERE s.recorded_at >= f.base_from
                                     AND s.recorded_at < f.base_from + %(baseline)s)
               OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS base_h,
           MAX(s.back_pain) FILTER (WHERE s.recorded_at >= f.base_from
                                      AND s.recorded_at < f.base_from + %(baseline)s)
               OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS base_b
    FROM patients_symptomentry s LEFT JOIN latest l USING (patient_id) LEFT JOIN first_logged f USING (patient_id)
    WHERE s.entered_in_error_at IS NULL
    WINDOW w AS (PARTITION BY s.patient_id ORDER BY s.recorded_at, s.id),
           wt AS (PARTITION BY s.patient_id, s.temperature_c IS NULL ORDER BY s.recorded_at, s.id)
)
SELECT 'rising_fever', patient_id, id, NULL::timestamptz, 'contact_provider' FROM e
 WHERE temperature_c IS NOT NULL AND t2 IS NOT NULL AND t2 < t1 AND t1 < temperature_c
   AND t2_at >= recorded_at - %(window)s AND temperature_c >= %(rising_last)s
UNION ALL
SELECT 'new_weakness', patient_id, id, NULL, 'urgent' FROM e WHERE deficit AND NOT prev_deficit
UNION ALL
SELECT DISTINCT 'not_improving_72h', patient_id, NULL::bigint, proc_at, 'contact_provider' FROM e
 WHERE recorded_at >= proc_at + %(after_hours)s
   AND ((headache >= %(pain)s AND headache >= base_h) OR (back_pain >= %(pain)s AND back_pain >= base_b))
UNION ALL
SELECT DISTINCT 'late_back_pain', patient_id, NULL::bigint, proc_at,
       CASE WHEN temperature_c >= %(fever)s THEN 'urgent' ELSE 'contact_provider' END FROM e
 WHERE recorded_at >= proc_at + %(late_after)s AND back_pain >= %(late_back)s
"""


def raw_lag_keys() -> set[str]:
    """The same detection in one hand-written SQL query (default thresholds)."""
    from datetime import timedelta

    from django.db import connection

    from alerts.rules import RuleBook, rule_rows
    from alerts.scan import episode_key

    rules = RuleBook(rule_rows()).defaults
    params = {
        "baseline": timedelta(hours=float(rules["not_improving_72h"]["baseline_hours"])),
        "window": timedelta(hours=float(rules["rising_fever"]["window_hours"])),
        "rising_last": rules["rising_fever"]["last_temperature_c"],
        "after_hours": timedelta(hours=float(rules["not_improving_72h"]["after_hours"])),
        "pain": rules["not_improving_72h"]["pain_score"],
        "fever": rules["fever"]["temperature_c"],
        "late_after": timedelta(days=float(rules["late_back_pain"]["after_day"]) + 1),
        "late_back": rules["late_back_pain"]["back_pain"],
    }
    with connection.cursor() as c:
        c.execute(RAW_LAG_SQL, params)
        rows = c.fetchall()
    return {
        episode_key(code=code, patient_id=pid, entry_id=eid, procedure_at=proc_at, severity=severity)
        for code, pid, eid, proc_at, severity in rows
    }


def in_transaction(fn, *, jit: bool):
    from django.db import connection, transaction

    with transaction.atomic():
        if not jit:
            with connection.cursor() as c:
                c.execute("SET LOCAL jit = off")
        return fn()


def best_of(fn, runs: int = 2):
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


class Inbox:
    """A local aiosmtpd server that records each message's outbox id."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    async def handle_DATA(self, server, session, envelope):
        match = re.search(rb"^X-Aftercare-Notification: (\d+)", envelope.content, re.MULTILINE)
        with self.lock:
            self.ids.append(match.group(1).decode() if match else "?")
        return "250 OK"


def deliver_end_to_end(count: int) -> tuple[float, float, int, int, int]:
    """``count`` urgent entries -> alerts -> emails received by a local SMTP server."""
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from alerts.services import evaluate_entry
    from patients.models import Patient, SymptomEntry
    from portal.outbox.delivery import deliver_due_notifications
    from portal.outbox.models import Notification

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        patients = list(Patient.objects.select_related("user").order_by("id")[:count])
        started = time.perf_counter()
        for patient in patients:
            with transaction.atomic():  # what the symptom endpoint does per request
                entry = SymptomEntry.objects.create(
                    patient=patient, recorded_at=timezone.now(), back_pain=2, headache=2, numbness=True
                )
                evaluate_entry(entry)
        evaluated = time.perf_counter() - started
        report = deliver_due_notifications()
        total = time.perf_counter() - started
        expected = Notification.objects.count()
        sent_rows = Notification.objects.filter(status="sent").count()
        time.sleep(0.2)  # the server thread finishes recording the last message
        with inbox.lock:
            received, distinct = len(inbox.ids), len(set(inbox.ids))
        assert report.sent == expected == sent_rows, (report, expected, sent_rows)
        return evaluated, total, expected, received, distinct
    finally:
        controller.stop()


def rescan_child() -> None:
    """``--rescan-child``: the rescan's detection over the whole diary (what step b
    times) in a fresh process, as a worker runs it, on the benchmark's database: its
    time and the process's peak resident size, as one JSON line: ``VmHWM`` of
    /proc/self/status (the high-water mark of this program's own memory; ``ru_maxrss``
    would start from the parent's size at the fork, as Linux keeps it across exec). (Writing the 13,673 alerts of an empty alert table as well, a rescan
    that finds everything new, takes minutes: see the README.)"""
    import json
    import resource

    import django

    def peak_kb() -> int:
        try:
            status = Path("/proc/self/status").read_text()
            return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)[1])
        except (OSError, TypeError):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux

    django.setup()
    from alerts import scan

    started_kb = peak_kb()
    started = time.perf_counter()
    detections = in_transaction(scan.full_rescan_detections, jit=False)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "alerts": len(detections),
                "started_mb": started_kb / 1024,
                "peak_mb": peak_kb() / 1024,
            }
        )
    )


def rescan_in_a_worker_process(mark: int) -> dict:
    """Run ``rescan_child`` as a child process."""
    import json
    import subprocess

    from django.db import connection

    reset_scan(mark)
    connection.close()  # nothing of ours stays open while the child reads
    out = subprocess.run(
        [sys.executable, __file__, "--rescan-child"], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1/50 of the data: a quick check")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--rescan-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rescan_child:
        rescan_child()
        return
    scale = 50 if args.small else 1
    patients, per_patient, clinicians = 50_000 // scale, 20, 500 // scale
    new_every, sparse_every, deliveries = 10, 5, 1000 // (10 if args.small else 1)

    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    try:
        t0 = time.perf_counter()
        setup_django()
        from django.db import connection
        from django.db.models import Max

        from alerts import scan
        from patients.models import SymptomEntry

        seed(patients, per_patient, clinicians)
        history = SymptomEntry.objects.count()
        mark = SymptomEntry.objects.aggregate(m=Max("id"))["m"]
        new, arrived = add_new_entries(new_every)
        print(
            f"Seeded {history:,} entries for {patients:,} patients, then {new:,} new ones "
            f"({time.perf_counter() - t0:.1f} s)."
        )

        big, big_report = time_incremental(mark, arrived)
        print(
            f"a. incremental scan, {new:,} new over {history:,} history rows: {big:.3f} s "
            f"({big_report.alerts_created} alerts created; target <= 0.15 s)"
        )

        reset_scan(mark)
        orm_time, detections = best_of(lambda: in_transaction(scan.full_rescan_detections, jit=False))
        raw_jit_time, raw_keys = best_of(lambda: in_transaction(raw_lag_keys, jit=True))
        raw_time, raw_keys_no_jit = best_of(lambda: in_transaction(raw_lag_keys, jit=False))
        raw_best = min(raw_time, raw_jit_time)
        orm_keys = {d.dedup_key for d in detections}
        print(
            f"b. full rescan (ORM window query + engine, as full_rescan runs it, JIT off): {orm_time:.2f} s, "
            f"{len(orm_keys):,} alerts; raw SQL LAG(): {raw_time:.2f} s JIT off, {raw_jit_time:.2f} s JIT on, "
            f"{len(raw_keys):,} alerts; ratio to the faster raw run {orm_time / raw_best:.2f} (target <= 1.6); "
            f"identical alert sets: {orm_keys == raw_keys == raw_keys_no_jit}"
        )

        rescan = rescan_in_a_worker_process(mark)
        print(
            f"b2. the full rescan's detection in a separate process (a worker): {rescan['seconds']:.2f} s, "
            f"{rescan['alerts']:,} alerts; peak RSS {rescan['peak_mb']:.0f} MB "
            f"({rescan['started_mb']:.0f} MB after start-up; target < 300 MB)"
        )

        reset_scan(mark)
        evaluated, total, expected, received, distinct = deliver_end_to_end(deliveries)
        print(
            f"c. {deliveries:,} alerts delivered end to end: {expected:,} emails (care team + patient) from the "
            f"outbox to the SMTP server in {total - evaluated:.2f} s (target < 10 s); SMTP received {received:,}, "
            f"distinct {distinct:,}, exactly once: {received == distinct == expected}. (Raising the "
            f"{deliveries:,} alerts first, one evaluate_entry transaction per urgent entry as the API does: "
            f"{evaluated:.2f} s.)"
        )

        sparse_history(sparse_every)
        small_history = SymptomEntry.objects.count()
        small_mark = SymptomEntry.objects.aggregate(m=Max("id"))["m"]
        _, small_arrived = add_new_entries(new_every)
        small, small_report = time_incremental(small_mark, small_arrived)
        print(
            f"d. incremental scan, {new:,} new over {small_history:,} history rows: {small:.3f} s "
            f"({small_report.alerts_created} alerts created); ratio big/small {big / small:.2f} (target <= 1.2)"
        )
        connection.close()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
