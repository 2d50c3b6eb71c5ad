"""Fault (g): ``manage.py backup`` while patients post diary entries, then a restore.

    .venv/bin/python bench/faults/backup_under_load.py [--before 20] [--after 20] [--patients 200]

Own database, Redis and gunicorn (2 sync workers, production settings). The symptom
load of bench/load.py: wrk with bench/load.lua posts entries as ``--patients``
patients (one connection each, back to back, the same entry bodies), in consecutive
5-second windows; beside it a witness posts one entry every 0.2 s with httpx and
notes when each 201 arrived. After ``--before`` seconds ``manage.py backup`` runs (a
separate process, as cron or the compose service runs it) while the load goes on for
``--after`` more seconds. Then ``manage.py restore`` loads the backup into a new,
empty database and verifies it (counts, every sealed object).

"Acknowledged before the backup started": every 201 that wrk received in a second
wholly before the one the backup process started in (bench/load.lua notes the
second of each answer), and every witness 201 that arrived before it.
Target: each of them is in the restored database (0 lost), the restore verifies, and
no request failed during the backup. Exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import wrk
from bench.common import PYTHON, ROOT, SITE_HOST, VAR, create_database, database_url, diary_body, drop_database
from bench.faults.harness import FaultRun, say
from bench.load import entry_body

WINDOW = 5.0


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=float, default=20.0, help="seconds of load before the backup starts")
    parser.add_argument("--after", type=float, default=20.0, help="seconds of load after the backup started")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with FaultRun("backup_load", keep=args.keep) as run:
        import httpx

        from bench.people import create_clinic

        clinic = create_clinic(prefix="backup", patients=args.patients + 1, clinicians=10)
        tokens = [clinic.tokens[p.pk] for p in clinic.patients[:-1]]
        witness_token = clinic.tokens[clinic.patients[-1].pk]
        port = run.web()
        rng = random.Random(20261205)
        bodies = [entry_body(rng) for _ in range(500)]
        plan = wrk.Plan("POST", "/api/v1/symptoms/", users=tokens, expect=201, bodies=bodies, record_ids=True)

        stop = threading.Event()
        windows: list[tuple[float, float, wrk.Outcome]] = []  # (started, ended, outcome)
        witness: list[tuple[int, float]] = []  # (entry id, when its 201 arrived)
        failures: list[str] = []

        def load() -> None:
            while not stop.is_set():
                started = time.time()
                outcome = wrk.start(plan, port=port, seconds=WINDOW, connections=args.patients).finish()
                windows.append((started, time.time(), outcome))

        def witness_posts() -> None:
            with httpx.Client(base_url=f"http://{SITE_HOST}:{port}", timeout=60) as client:
                headers = {"X-Session-Token": witness_token, "X-Forwarded-Proto": "https"}
                while not stop.wait(0.2):
                    response = client.post(
                        "/api/v1/symptoms/", json=diary_body(back_pain=1, headache=1), headers=headers
                    )
                    if response.status_code == 201:
                        witness.append((response.json()["id"], time.time()))
                    else:
                        failures.append(f"witness {response.status_code}")

        threads = [threading.Thread(target=load), threading.Thread(target=witness_posts)]
        for thread in threads:
            thread.start()
        time.sleep(args.before)
        folder = VAR / "fault-backup_load" / "backup"
        shutil.rmtree(folder, ignore_errors=True)
        backup_started = time.time()
        say(run, f"backup starts under load ({len(windows)} wrk windows done, {len(witness)} witness entries)")
        backup = manage(run.env, "backup", str(folder))
        backup_seconds = time.time() - backup_started
        say(run, f"backup exit {backup.returncode} after {backup_seconds:.1f} s: {backup.stdout.strip()[-300:]}")
        time.sleep(max(0.0, args.after - backup_seconds))
        stop.set()
        for thread in threads:
            thread.join(120)

        during = [
            o for started, ended, o in windows if ended > backup_started and started < backup_started + backup_seconds
        ]
        # wrk notes the whole second each answer arrived: only seconds wholly before the start count.
        start_second = int(backup_started)
        acknowledged = {
            i
            for _, _, o in windows
            for i, second in zip(o.ids, o.answered_at, strict=True)
            if 0 < second < start_second
        } | {i for i, at in witness if at <= backup_started}
        errors = sum(o.errors for _, _, o in windows) + len(failures)
        posted = sum(len(o.ids) for _, _, o in windows) + len(witness)
        during_rate = sum(o.expected for o in during) / sum(o.seconds for o in during) if during else 0.0
        say(
            run,
            f"load ended: {posted} entries acknowledged in all, {errors} errors; {len(acknowledged)} before the backup",
        )
        for started, ended, o in windows:
            print(
                f"    wrk window {started - backup_started:+6.1f} .. {ended - backup_started:+6.1f} s from the backup's "
                f"start: {o.answered} answered, {o.expected} with 201, {len(o.ids)} ids, {o.errors} errors"
            )

        restored_db = "aftercare_bench_fault_backup_load_restored"
        create_database(restored_db)
        media = VAR / "fault-backup_load" / "restored-media"
        shutil.rmtree(media, ignore_errors=True)
        restored_env = dict(run.env, DATABASE_URL=database_url(restored_db), AFTERCARE_MEDIA_ROOT=str(media))
        restore_started = time.time()
        restore = manage(restored_env, "restore", str(folder))
        restore_seconds = time.time() - restore_started
        say(run, f"restore exit {restore.returncode} after {restore_seconds:.1f} s: {restore.stdout.strip()[-400:]}")
        if restore.returncode != 0:
            print(restore.stderr[-2000:])
        import psycopg

        with psycopg.connect(database_url(restored_db)) as conn:
            found = {
                row[0]
                for row in conn.execute(
                    "SELECT id FROM patients_symptomentry WHERE id = ANY(%s)", [sorted(acknowledged)]
                ).fetchall()
            }
            in_backup = conn.execute("SELECT count(*) FROM patients_symptomentry").fetchone()[0]
        if not args.keep:
            drop_database(restored_db)
        lost = len(acknowledged - found)
        ok = backup.returncode == 0 and restore.returncode == 0 and lost == 0 and errors == 0 and len(acknowledged) > 0
        figures = [
            {
                "name": "(g) backup during the symptom load, restored: entries acknowledged before the backup, lost",
                "value": lost,
                "unit": f"of {len(acknowledged):,} ({in_backup:,} entries in the backup; {posted:,} posted in all, "
                f"{errors} errors)",
                "target": "0, restore verified",
                "ok": ok,
            },
            {
                "name": "(g) backup / restore duration under load",
                "value": f"{backup_seconds:.1f} s / {restore_seconds:.1f} s",
                "unit": f"(symptom POSTs during the backup: {during_rate:.0f}/s)",
                "target": "(reported)",
                "ok": True,
            },
        ]
        run.report("g", figures)
        os.environ.pop("AFTERCARE_MEDIA_ROOT", None)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
