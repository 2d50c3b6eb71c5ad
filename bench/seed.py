"""The benchmark data set, bulk-loaded with PostgreSQL COPY.

    .venv/bin/python bench/seed.py --patients 50000 --entries 1000000

1. (Re)creates the database (``aftercare_bench_main`` unless ``--db``) and migrates it
   with the production settings (DEBUG off, the bench key ring).
2. COPYs in: clinicians (``--clinicians``, each with TOTP enrolled: the same bench
   authenticator secret), patients with verified email addresses, a procedure 1-30
   days ago each, two care-team clinicians per patient, ``--entries`` diary entries
   (the first ``--long-diaries`` patients have 120 entries each, for the 100-entry
   history; the others share the rest, spread from the procedure to about 3 hours ago,
   most improving) and ``--inbox-items`` clinician inbox items.
3. Sets the scan's high-water mark to the newest entry (the scheduled scan is up to
   date, as on a running system) and runs VACUUM ANALYZE (the steady state).

Every account's password is ``bench.common.BENCH_PASSWORD`` (one PBKDF2 hash computed
once; the production hasher). Columns added later by other apps get a neutral value of
their type, so the generator keeps working as the schema grows.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    MAIN_DB,
    create_database,
    migrate,
    production_env,
    setup_django,
)
from patients.questions import YES_NO_FIELDS

LONG_DIARY = 120  # entries of each long-diary patient
SPECIALTIES = ["neurology", "neurology", "anesthesiology", "nursing"]
TIME_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Europe/London", "Asia/Tokyo"]
YES_NO = YES_NO_FIELDS  # every question answered, as the API requires


def filler(data_type: str, now: datetime):
    from psycopg.types.json import Jsonb

    return {
        "boolean": False,
        "integer": 0,
        "smallint": 0,
        "bigint": 0,
        "numeric": 0,
        "text": "",
        "character varying": "",
        "jsonb": Jsonb([]),
        "json": "[]",
        "timestamp with time zone": now,
        "date": date(1980, 1, 1),
        "uuid": None,  # replaced per row
    }[data_type]


class Copier:
    """COPY rows into a table; NOT NULL columns without a default that the caller does
    not name get a neutral value of their type."""

    def __init__(self, conn, table: str, columns: list[str], now: datetime) -> None:
        self.conn, self.table, self.columns = conn, table, columns
        with conn.cursor() as cur:
            cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' ORDER BY ordinal_position",
                [table],
            )
            self.extra = [(name, dtype) for name, dtype in cur.fetchall() if name not in columns]
            cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            self.next_id = cur.fetchone()[0] + 1
        self.fill = [filler(dtype, now) for _, dtype in self.extra]
        self.uuid_slots = [i for i, (_, dtype) in enumerate(self.extra) if dtype == "uuid"]

    def copy(self, rows) -> int:
        names = ", ".join(['"id"', *(f'"{c}"' for c in self.columns), *(f'"{n}"' for n, _ in self.extra)])
        count = 0
        with self.conn.cursor() as cur, cur.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
            for row in rows:
                fill = list(self.fill)
                for slot in self.uuid_slots:
                    fill[slot] = uuid.uuid4()
                copy.write_row((self.next_id + count, *row, *fill))
                count += 1
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), (SELECT max(id) FROM {self.table}))"
            )
        self.first_id = self.next_id
        self.next_id += count
        return count


def entries_per_patient(patients: int, entries: int, long_diaries: int) -> list[int]:
    long_diaries = min(long_diaries, patients)
    rest_patients = patients - long_diaries
    rest_entries = entries - long_diaries * LONG_DIARY
    if rest_patients == 0:
        return [entries // patients + (i < entries % patients) for i in range(patients)]
    if rest_entries < rest_patients:
        raise SystemExit("--entries is too small for --long-diaries: every patient needs at least one entry")
    base, extra = divmod(rest_entries, rest_patients)
    return [LONG_DIARY] * long_diaries + [base + (i < extra) for i in range(rest_patients)]


def seed(args) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from alerts.models import ScanState
    from messaging.models import PRIORITY_RANK
    from portal.accounts.adapters import authenticator_seal_context, sealed_secret

    rng = random.Random(args.seed)
    now = timezone.now()
    connection.ensure_connection()
    conn = connection.connection
    password = make_password(BENCH_PASSWORD)
    timings: dict[str, float] = {}

    def timed(label, fn):
        started = time.perf_counter()
        result = fn()
        timings[label] = time.perf_counter() - started
        return result

    user_columns = [
        "password",
        "is_superuser",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
        "email",
        "role",
        "specialty",
        "display_units",
        "time_zone",
    ]
    users = Copier(conn, "accounts_user", user_columns, now)
    clinician_rows = [
        (
            password,
            False,
            "Clin",
            f"Ician{n:04d}",
            False,
            True,
            now,
            f"bench-clinician-{n}@bench.test",
            "clinician",
            SPECIALTIES[n % len(SPECIALTIES)],
            "C",
            TIME_ZONES[n % len(TIME_ZONES)],
        )
        for n in range(args.clinicians)
    ]
    patient_user_rows = (
        (
            password,
            False,
            "Pat",
            f"Ient{n:06d}",
            False,
            True,
            now,
            f"bench-patient-{n}@bench.test",
            "patient",
            "",
            "F" if n % 3 == 0 else "C",
            TIME_ZONES[n % len(TIME_ZONES)],
        )
        for n in range(args.patients)
    )

    def copy_users():
        users.copy(iter(clinician_rows))
        first_clinician = users.first_id
        users.copy(patient_user_rows)
        return first_clinician, users.first_id

    first_clinician, first_patient_user = timed("users", copy_users)
    clinician_ids = list(range(first_clinician, first_clinician + args.clinicians))
    patient_user_ids = list(range(first_patient_user, first_patient_user + args.patients))

    emails = Copier(conn, "account_emailaddress", ["email", "verified", "primary", "user_id"], now)
    timed(
        "email addresses",
        lambda: emails.copy(
            [
                *((f"bench-clinician-{n}@bench.test", True, True, uid) for n, uid in enumerate(clinician_ids)),
                *((f"bench-patient-{n}@bench.test", True, True, uid) for n, uid in enumerate(patient_user_ids)),
            ]
        ),
    )

    # TOTP for every clinician: the same secret, sealed to each row's context (its owner
    # and kind), as the ORM stores it; a secret in clear is refused at sign-in.
    def totp_row(uid: int) -> tuple:
        secret = sealed_secret(BENCH_TOTP_SECRET, context=authenticator_seal_context(uid, "totp"))
        return ("totp", Jsonb({"secret": secret}), uid, now)

    authenticators = Copier(conn, "mfa_authenticator", ["type", "data", "user_id", "created_at"], now)
    timed("authenticators", lambda: authenticators.copy(totp_row(uid) for uid in clinician_ids))

    patient_columns = [
        "user_id",
        "date_of_birth",
        "sex",
        "allergies",
        "anticoagulant",
        "preferences",
        "created_at",
        "updated_at",
    ]
    patients = Copier(conn, "patients_patient", patient_columns, now)
    timed(
        "patients",
        lambda: patients.copy(
            (
                uid,
                date(1940 + rng.randrange(65), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                rng.choice(["female", "male", "female", "male", "other"]),
                Jsonb([]),
                rng.random() < 0.04,
                "",
                now,
                now,
            )
            for uid in patient_user_ids
        ),
    )
    patient_ids = list(range(patients.first_id, patients.first_id + args.patients))
    counts = entries_per_patient(args.patients, args.entries, args.long_diaries)

    # Procedures 1-30 days ago (long diaries 10-30, so 120 entries are about 2 hours apart).
    performed = [
        now - timedelta(days=rng.uniform(10 if n < args.long_diaries else 1, 30)) for n in range(args.patients)
    ]
    teams = [
        (clinician_ids[n % args.clinicians], clinician_ids[(n * 7 + 3) % args.clinicians]) for n in range(args.patients)
    ]
    for n, (first, second) in enumerate(teams):
        if first == second:
            teams[n] = (first, clinician_ids[(n + 1) % args.clinicians])
    procedures = Copier(
        conn,
        "patients_procedure",
        ["patient_id", "performed_at", "needle_type", "needle_gauge", "passes", "created_at", "performed_by_id"],
        now,
    )
    timed(
        "procedures",
        lambda: procedures.copy(
            (pid, performed[n], rng.choice(["atraumatic", "cutting"]), 22, 1, performed[n], teams[n][0])
            for n, pid in enumerate(patient_ids)
        ),
    )
    grants = Copier(conn, "patients_careteamgrant", ["patient_id", "clinician_id", "granted_at", "granted_by_id"], now)
    timed(
        "care-team grants",
        lambda: grants.copy(
            (pid, clinician, performed[n], None) for n, pid in enumerate(patient_ids) for clinician in teams[n]
        ),
    )

    entry_columns = [
        "patient_id",
        "entered_by_id",
        "recorded_at",
        "created_at",
        "back_pain",
        "headache",
        "temperature_c",
        *YES_NO,
        "notes_sealed",
        "entered_in_error_reason",
    ]

    def diary_rows():
        """Most patients improve entry by entry; one in 20 does not, one in 25 keeps
        back pain, one in 50 runs a rising temperature; deficits are rare. One entry
        in 20 has a note, sealed to its row as the app seals it (the Copier numbers
        rows from ``entries.next_id``)."""
        from portal.crypto import seal_text

        latest = now - timedelta(hours=3)
        entry_id = entries.next_id
        for n, pid in enumerate(patient_ids):
            count, start = counts[n], performed[n] + timedelta(hours=1)
            step = (latest - start) / max(count - 1, 1)
            stuck, back, rising = n % 20 == 0, n % 25 == 1, n % 50 == 2
            for i in range(count):
                f = i / max(count - 1, 1)
                at = start + step * i
                headache = 4 + rng.randrange(3) if stuck else max(0, round(6 * (1 - f)) + rng.randrange(-1, 2))
                back_pain = 3 + rng.randrange(3) if back else max(0, round(4 * (1 - f)) + rng.randrange(-1, 2))
                temp = None
                if rng.random() < 0.6:
                    temp = Decimal(str(round(36.6 + f * 0.9 if rising else 36.3 + rng.random(), 1)))
                flags = dict.fromkeys(YES_NO, False)
                flags.update(
                    positional_headache=rng.random() < 0.3 * (1 - f),
                    radiating_leg_pain=rng.random() < 0.01,
                    numbness=rng.random() < 0.002,
                    leg_weakness=rng.random() < 0.003,
                    site_redness=rng.random() < 0.01,
                    vomiting=rng.random() < 0.005,
                    took_fever_reducer=rng.random() < 0.05,
                )
                notes = b""
                if rng.random() < 0.05:
                    notes = bytes(seal_text("Slept badly.", context=f"symptom_entry:{entry_id}"))
                entry_id += 1
                yield (
                    pid,
                    patient_user_ids[n],
                    at,
                    at + timedelta(minutes=2),
                    min(back_pain, 10),
                    min(headache, 10),
                    temp,
                    *flags.values(),
                    notes,
                    "",
                )

    entries = Copier(conn, "patients_symptomentry", entry_columns, now)
    entry_count = timed("symptom entries", lambda: entries.copy(diary_rows()))

    kinds = ["message", "alert", "lab_request", "lab_result", "referral"]
    priorities = ["urgent", "high", "normal", "normal", "normal"]
    statuses = ["new", "new", "in_progress", "waiting", "done"]

    def inbox_rows():
        for n in range(args.inbox_items):
            index = rng.randrange(args.patients)
            kind, priority, status = rng.choice(kinds), rng.choice(priorities), rng.choice(statuses)
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 14))
            team = teams[index]
            yield (
                kind,
                patient_ids[index],
                priority,
                PRIORITY_RANK[priority],
                status,
                rng.choice([None, None, *team]),
                rng.choice(team) if kind == "referral" else None,
                created + timedelta(hours=rng.choice([0.25, 4, 24])),
                created,
                created,
                now if status == "done" else None,
                f"{kind.replace('_', ' ').capitalize()} to review",
                "",
                "bench.seed",
                str(n),
            )

    inbox = Copier(
        conn,
        "messaging_inboxitem",
        [
            "kind",
            "patient_id",
            "priority",
            "priority_rank",
            "status",
            "assignee_id",
            "addressed_to_id",
            "due_at",
            "created_at",
            "updated_at",
            "done_at",
            "summary",
            "link",
            "source_type",
            "source_id",
        ],
        now,
    )
    timed("inbox items", lambda: inbox.copy(inbox_rows()))

    # The scheduled scan is up to date, as on a system that has been running.
    ScanState.objects.update_or_create(
        name="symptom_scan", defaults={"high_water_id": entries.next_id - 1, "last_run_at": now}
    )
    with connection.cursor() as cursor:
        timed("vacuum analyze", lambda: cursor.execute("VACUUM ANALYZE"))
    return {"entries": entry_count, "timings": timings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--clinicians", type=int, default=500)
    parser.add_argument("--long-diaries", type=int, default=2_000, help="patients with 120 entries each")
    parser.add_argument("--inbox-items", type=int, default=100_000)
    parser.add_argument("--db", default=MAIN_DB, help="database name (aftercare_bench_*)")
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    if not args.db.startswith("aftercare_bench"):
        parser.error("--db must start with aftercare_bench")
    if args.clinicians < 2:
        parser.error("--clinicians must be at least 2 (two per care team)")

    started = time.perf_counter()
    env = production_env(database=args.db, redis_port=None, var_name="seed")
    create_database(args.db)
    migrate(env)
    migrated = time.perf_counter()
    setup_django(env)
    result = seed(args)
    total = time.perf_counter() - started
    steps = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in result["timings"].items())
    print(
        f"Seeded {args.db}: {args.patients:,} patients, {args.clinicians:,} clinicians, "
        f"{result['entries']:,} diary entries, {args.inbox_items:,} inbox items in {total:.1f} s "
        f"(migrate {migrated - started:.1f} s; {steps})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
