"""End-to-end alert latency: entry saved -> email accepted by an SMTP server.

    .venv/bin/python bench/alert_latency.py [--seconds 180]

On a copy of the seeded database (``bench/seed.py``; 50,000 patients, 1,000,000
entries), with its own Redis, a local aiosmtpd server, gunicorn (2 workers), one
Celery worker (concurrency 2) and one beat with the project's schedule (the symptom
scan and the outbox sweep every minute), for ``--seconds`` (default 180: a shortened
window so that ``make bench`` fits in 30 minutes; the latencies do not depend on it):

* every 3 s a patient posts an entry with numbness through the API (``urgent``:
  the alert and its notifications commit with the entry, delivery is queued on commit);
* every 6 s another patient posts three rising temperatures (37.0, 37.3, 37.6 °C,
  a second apart): the ``rising_fever`` pattern alert, found by the scheduled scan.

Each email (care team and patient) is matched to its outbox row by the
``X-Aftercare-Notification`` header; its latency is the time from the entry's
``created_at`` to the SMTP server accepting it. Targets: urgent p95 < 5 s, pattern
p95 < 70 s (one-minute beat); every expected email arrives exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    MAIN_DB,
    VAR,
    RedisServer,
    SmtpCatcher,
    celery_beat,
    celery_worker,
    create_database,
    database_exists,
    diary_body,
    drop_database,
    free_port,
    gunicorn,
    machine_summary,
    percentile,
    production_env,
    setup_django,
    verdict,
    wait_for_port,
    wait_until,
    write_figures,
)
from bench.loadgen import Client, Request

DB = "aftercare_bench_latency"
URGENT_EVERY, PATTERN_EVERY = 3.0, 6.0
DRAIN_SECONDS = 100  # after the window: the last pattern alert waits up to a minute for its scan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="measurement window")
    parser.add_argument("--keep", action="store_true", help="keep the database copy")
    args = parser.parse_args()
    if not database_exists(MAIN_DB):
        sys.exit(f"Database {MAIN_DB} is missing: run bench/seed.py first.")
    create_database(DB, template=MAIN_DB)
    log_dir = VAR / "latency" / "logs"
    redis = RedisServer(log_dir=log_dir).start()
    smtp = SmtpCatcher().start()
    env = production_env(database=DB, redis_port=redis.port, smtp_port=smtp.port, var_name="latency")
    services = []
    try:
        setup_django(env)
        from bench.people import create_clinic

        urgent_n = int(args.seconds // URGENT_EVERY) + 1
        pattern_n = int(args.seconds // PATTERN_EVERY) + 1
        clinic = create_clinic(prefix="latency", patients=urgent_n + pattern_n + 1, clinicians=10)
        port = free_port()
        services = [
            gunicorn(env, port=port, log_dir=log_dir),
            celery_worker(env, name="worker", log_dir=log_dir),
            celery_beat(env, name="beat", log_dir=log_dir),
        ]
        for service in services:
            service.start()
        wait_for_port(port, timeout=60, process=services[0].process)
        return asyncio.run(run(args, port, clinic, smtp, urgent_n, pattern_n))
    finally:
        for service in services:
            service.stop()
        smtp.stop()
        redis.stop()
        if not args.keep:
            drop_database(DB)


def entry(token: str, **fields) -> Request:
    body = diary_body(back_pain=1, headache=1, **fields)
    return Request("entry", "POST", "/api/v1/symptoms/", {"X-Session-Token": token}, json.dumps(body).encode())


async def run(args, port: int, clinic, smtp: SmtpCatcher, urgent_n: int, pattern_n: int) -> int:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads only before and after the window
    from alerts.models import Alert
    from portal.outbox.models import Notification

    async with Client("127.0.0.1", port, timeout=60) as client:
        patients = list(clinic.patients)
        warm_patient = patients.pop()
        urgent_patients, pattern_patients = patients[:urgent_n], patients[urgent_n:]

        # Warm-up: the worker answers (an urgent entry's emails arrive) before the clock starts.
        started = time.monotonic()
        result = await client.send(entry(clinic.tokens[warm_patient.pk], numbness=True))
        assert result.status == 201, (result.status, result.body[:300])
        if not await asyncio.to_thread(wait_until, lambda: smtp.count() >= 2, timeout=90):
            print("The worker delivered nothing within 90 s of start-up; see var/bench/latency/logs/.")
            return 2
        print(f"{machine_summary()}; worker and SMTP ready after {time.monotonic() - started:.1f} s.")
        print(
            f"Window {args.seconds:.0f} s (shortened so make bench fits in 30 minutes): an urgent entry every "
            f"{URGENT_EVERY:.0f} s, a rising-temperature series every {PATTERN_EVERY:.0f} s ...",
            flush=True,
        )
        statuses: list[int] = []

        async def urgent(index: int) -> None:
            await asyncio.sleep(index * URGENT_EVERY)
            r = await client.send(entry(clinic.tokens[urgent_patients[index].pk], numbness=True))
            statuses.append(r.status)

        async def pattern(index: int) -> None:
            await asyncio.sleep(index * PATTERN_EVERY + 1.5)
            token = clinic.tokens[pattern_patients[index].pk]
            for temperature in (37.0, 37.3, 37.6):
                r = await client.send(entry(token, temperature_c=temperature))
                statuses.append(r.status)
                await asyncio.sleep(1.0)

        await asyncio.gather(*(urgent(i) for i in range(urgent_n)), *(pattern(i) for i in range(pattern_n)))
        window_end = time.monotonic()

        alert_patients = [p.pk for p in urgent_patients + pattern_patients]

        def delivered() -> bool:
            alerts = Alert.objects.filter(patient_id__in=alert_patients)
            expected = set(
                Notification.objects.filter(
                    source_type="alerts.alert", source_id__in=[str(pk) for pk in alerts.values_list("pk", flat=True)]
                ).values_list("pk", flat=True)
            )
            pattern_alerts = alerts.filter(rule__code="rising_fever").count()
            return pattern_alerts >= pattern_n and expected <= set(smtp.ids())

        drained = await asyncio.to_thread(wait_until, delivered, timeout=DRAIN_SECONDS, interval=1.0)
        print(
            f"Posting ended; everything delivered {'after' if drained else 'NOT within'} "
            f"{time.monotonic() - window_end:.0f} s."
        )

        arrivals = smtp.first_arrival()
        duplicates = smtp.duplicates()
        latencies: dict[str, list[float]] = {"urgent": [], "pattern": []}
        missing = 0
        alerts = list(Alert.objects.filter(patient_id__in=alert_patients).select_related("rule", "entry"))
        by_id = {a.pk: a for a in alerts}
        notifications = Notification.objects.filter(
            source_type="alerts.alert", source_id__in=[str(pk) for pk in by_id]
        ).values_list("pk", "source_id")
        expected_emails = 0
        for nid, source_id in notifications:
            alert = by_id[int(source_id)]
            group = "pattern" if alert.rule.code == "rising_fever" else "urgent"
            expected_emails += 1
            if nid not in arrivals:
                missing += 1
                continue
            latencies[group].append(arrivals[nid] - alert.entry.created_at.timestamp())
        counts = {
            "urgent alerts": sum(1 for a in alerts if a.severity == "urgent"),
            "rising_fever alerts": sum(1 for a in alerts if a.rule.code == "rising_fever"),
        }
        bad_statuses = [s for s in statuses if s != 201]

        print(f"\n{machine_summary()} (after the run)")
        print(
            f"  entries posted {len(statuses)}, non-201 {len(bad_statuses)}; {counts['urgent alerts']} urgent alerts "
            f"(of {urgent_n}), {counts['rising_fever alerts']} rising_fever alerts (of {pattern_n})"
        )
        print(
            f"  alert emails expected {expected_emails}, received {expected_emails - missing} "
            f"(missing {missing}); duplicate copies received {sum(duplicates.values())}"
        )
        print(f"  {'alert kind':<28}{'emails':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
        for group, values in latencies.items():
            print(
                f"  {group:<28}{len(values):>7}{percentile(values, 50):>8.2f}{percentile(values, 95):>8.2f}"
                f"{max(values, default=float('nan')):>8.2f}"
            )

        figures = []
        urgent_p95 = percentile(latencies["urgent"], 95)
        pattern_p95 = percentile(latencies["pattern"], 95)
        window_note = f"window {args.seconds:.0f} s"
        for name, value, target, ok in (
            (f"urgent alert, entry saved -> email accepted, p95 ({window_note})", urgent_p95, "< 5 s", urgent_p95 < 5),
            (
                f"pattern alert (rising_fever, 1-minute beat) -> email accepted, p95 ({window_note})",
                pattern_p95,
                "< 70 s",
                pattern_p95 < 70,
            ),
        ):
            figures.append({"name": name, "value": round(value, 2), "unit": "s", "target": target, "ok": ok})
            print(f"  {name}: {value:.2f} s; target {target}: {verdict(ok)}")
        complete = (
            missing == 0
            and not duplicates
            and not bad_statuses
            and counts["urgent alerts"] == urgent_n
            and counts["rising_fever alerts"] == pattern_n
        )
        figures.append(
            {
                "name": "alert emails delivered exactly once (latency run)",
                "value": f"{expected_emails - missing}/{expected_emails}, {sum(duplicates.values())} duplicates",
                "unit": "",
                "target": "all, 0 duplicates",
                "ok": complete,
            }
        )
        print(f"  every alert raised and every email delivered exactly once: {verdict(complete)}")
        write_figures("alert_latency", figures)
        return 0 if all(f["ok"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
