"""Fault (a): Redis (broker and cache) stops for 60 s while patients keep posting.

    .venv/bin/python bench/faults/redis_down.py [--down 60]

Own database, Redis (no persistence: stopping it loses every queued task), SMTP
catcher, gunicorn (2 workers), one worker and one beat. Patients post diary entries
through the API at about ``--rate`` per second from start to end: mostly ordinary
entries, some urgent (numbness: an alert emailed on commit), and series of three
rising temperatures (a ``rising_fever`` alert found by the scheduled scan). After
``--before`` seconds Redis is stopped for ``--down`` seconds, then started again
on the same port, and the patients keep posting ``--after`` seconds more. Just
before the stop a burst of urgent entries keeps the worker busy (a slow SMTP relay),
so Redis goes away while tasks are unacknowledged (``acks_late``). The worker and
beat run supervised, as docker compose runs them (``restart: unless-stopped``); a
process that exits is started again, and the exits are counted and reported.

Targets: every entry accepted (201) and saved; every alert raised, including those
whose entries came during the outage; every alert email delivered after Redis
returns (by the outbox's every-minute sweep or the next on-commit trigger), within
``--deliver-within`` seconds of its return, exactly once. Exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import diary_body, percentile, wait_until
from bench.faults.harness import FaultRun, say
from bench.loadgen import Client, Request, Result


def plan_posts(patients: list, args, rng: random.Random) -> list[tuple[float, int, dict]]:
    """(seconds from start, patient id, entry) for the whole run; a patient has at most
    one request in flight (posts of one patient are at least 2 s apart)."""
    total = args.before + args.down + args.after
    series_patients, others = patients[: args.series], patients[args.series :]
    plan = []
    # Rising temperatures: series spread over the whole run, most inside the outage.
    for index, patient in enumerate(series_patients):
        start = args.before + (index + 0.5) * (args.down / args.series) - 3
        for step, temperature in enumerate((37.0, 37.3, 37.6)):
            plan.append((start + 2 * step, patient.pk, {"temperature_c": temperature}))
    # A burst of urgent entries just before the stop: the worker is in the middle of
    # delivering (a slow SMTP relay), holding unacknowledged tasks, when Redis goes.
    burst_patients, others = others[: args.burst], others[args.burst :]
    for patient in burst_patients:
        plan.append((args.before - 1.5, patient.pk, {"numbness": True}))
    # Ordinary and urgent entries at a steady rate, round-robin over the other patients.
    t, turn = 0.5, 0
    while t < total:
        patient = others[turn % len(others)]
        body = {"numbness": True} if rng.random() < args.urgent_share else {"temperature_c": 36.8}
        plan.append((t, patient.pk, body))
        t += rng.expovariate(args.rate)
        turn += 1
    return sorted(plan, key=lambda item: item[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down", type=float, default=60.0, help="seconds Redis is stopped")
    parser.add_argument("--before", type=float, default=20.0)
    parser.add_argument("--after", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=3.0, help="ordinary and urgent entries per second")
    parser.add_argument("--urgent-share", type=float, default=0.15)
    parser.add_argument("--series", type=int, default=10, help="rising-temperature series")
    parser.add_argument("--burst", type=int, default=20, help="urgent entries 1.5 s before the stop")
    parser.add_argument("--deliver-within", type=float, default=150.0, help="seconds after Redis returns")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    # A slow relay (0.1 s a message): the burst's emails are still going out when Redis stops.
    with FaultRun("redis_down", smtp_delay=0.1, keep=args.keep) as run:
        from bench.people import create_clinic

        clinic = create_clinic(prefix="redis", patients=args.series + args.burst + 150, clinicians=4)
        port = run.web()
        run.worker()
        run.beat()
        return asyncio.run(measure(run, args, clinic, port))


async def measure(run: FaultRun, args, clinic, port: int) -> int:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads only before and after the posting
    from django.db.models import Count

    from alerts.models import Alert
    from patients.models import SymptomEntry
    from portal.outbox.models import Notification

    async with Client("127.0.0.1", port, timeout=60) as client:
        patients = list(clinic.patients)
        warm = patients.pop()

        def post(patient_id: int, body: dict, name: str = "entry") -> Request:
            data = json.dumps(diary_body(back_pain=1, headache=1, **body)).encode()
            return Request(name, "POST", "/api/v1/symptoms/", {"X-Session-Token": clinic.tokens[patient_id]}, data)

        first = await client.send(post(warm.pk, {"numbness": True}))
        assert first.status == 201, (first.status, first.body[:300])
        if not await asyncio.to_thread(wait_until, lambda: run.smtp.count() >= 2, timeout=90):
            say(run, "the worker delivered nothing within 90 s; see var/bench/fault-redis_down/logs/")
            return 2
        plan = plan_posts(patients, args, random.Random(5))
        say(run, f"ready; {len(plan)} entries planned over {args.before + args.down + args.after:.0f} s")

        results: list[tuple[Result, float]] = []  # (result, seconds from start)
        origin = time.monotonic()
        redis_stopped = redis_back = 0.0

        async def one(at: float, patient_id: int, body: dict) -> None:
            await asyncio.sleep(max(0.0, origin + at - time.monotonic()))
            results.append((await client.send(post(patient_id, body)), at))

        async def outage() -> None:
            nonlocal redis_stopped, redis_back
            await asyncio.sleep(args.before)
            run.redis.stop()
            redis_stopped = time.monotonic() - origin
            say(run, f"Redis stopped (SIGTERM; no persistence: every queued task is gone) for {args.down:.0f} s")
            await asyncio.sleep(args.down)
            await asyncio.to_thread(run.redis.start)
            redis_back = time.monotonic() - origin
            say(run, "Redis started again on the same port (empty)")

        back_wall = 0.0
        await asyncio.gather(outage(), *(one(*item) for item in plan))
        back_wall = time.time() - (time.monotonic() - origin - redis_back)
        say(run, "posting finished")

        accepted = [r.json()["id"] for r, _ in results if r.status == 201]
        failed = [r for r, _ in results if r.status != 201]
        during = [r.latency * 1000 for r, at in results if redis_stopped <= at < redis_back and r.status == 201]
        outside = [r.latency * 1000 for r, at in results if not redis_stopped <= at < redis_back and r.status == 201]
        saved = SymptomEntry.objects.filter(id__in=accepted).count()
        urgent_entries = SymptomEntry.objects.filter(id__in=accepted, numbness=True).count()
        series = args.series

        def alert_notifications() -> set[int]:
            ids = [str(pk) for pk in Alert.objects.exclude(patient=warm).values_list("pk", flat=True)]
            return set(
                Notification.objects.filter(source_type="alerts.alert", source_id__in=ids).values_list("pk", flat=True)
            )

        def settled() -> bool:
            rising = Alert.objects.filter(rule__code="rising_fever").count()
            return rising >= series and alert_notifications() <= set(run.smtp.ids())

        limit = args.deliver_within - (time.time() - back_wall)
        delivered = await asyncio.to_thread(wait_until, settled, timeout=max(limit, 1), interval=1.0)
        expected = alert_notifications()
        arrivals = run.smtp.first_arrival()
        missing = len(expected - set(arrivals))
        last = max((arrivals[n] for n in expected if n in arrivals), default=back_wall)
        duplicates = sum(run.smtp.duplicates().values())
        by_rule = dict(Alert.objects.exclude(patient=warm).values_list("rule__code").annotate(n=Count("id")))
        neuro = by_rule.get("neuro_deficit", 0)
        rising = by_rule.get("rising_fever", 0)

        print(f"\nEntries posted {len(results)}: 201 {len(accepted)}, other {len(failed)}; saved (found by id) {saved}")
        for r in failed[:5]:
            print(f"  failed: {r.status} {r.error} {r.body[:200]!r}")
        print(
            f"  POST latency while Redis was down: p50 {percentile(during, 50):.0f} ms, p95 {percentile(during, 95):.0f} ms,"
            f" max {max(during, default=0):.0f} ms; otherwise p95 {percentile(outside, 95):.0f} ms"
        )
        print(f"  alerts by rule: {by_rule}; urgent entries {urgent_entries}, rising series {series}")
        print(
            f"  alert emails expected {len(expected)}, missing {missing}, duplicate copies {duplicates}; "
            f"last one {last - back_wall:.0f} s after Redis returned ({'all' if delivered else 'NOT all'} "
            f"within {args.deliver_within:.0f} s)"
        )
        entries_ok = not failed and saved == len(accepted) == len(results)
        alerts_ok = neuro == urgent_entries and rising == series
        delivery_ok = delivered and missing == 0 and duplicates == 0
        figures = [
            {
                "name": f"(a) Redis down {args.down:.0f} s: entries accepted and saved",
                "value": f"{saved}/{len(results)}",
                "unit": "",
                "target": "all (0 errors)",
                "ok": entries_ok,
            },
            {
                "name": "(a) alerts raised (urgent on commit, rising_fever by the scan after the return)",
                "value": f"{neuro}/{urgent_entries} urgent, {rising}/{series} rising_fever",
                "unit": "",
                "target": "all",
                "ok": alerts_ok,
            },
            {
                "name": "(a) alert emails delivered after Redis returned",
                "value": f"{len(expected) - missing}/{len(expected)}, {duplicates} duplicates, "
                f"last {last - back_wall:.0f} s after",
                "unit": "",
                "target": f"all within {args.deliver_within:.0f} s, 0 duplicates",
                "ok": delivery_ok,
            },
        ]
        run.report("a", figures)
        return 0 if entries_ok and alerts_ok and delivery_ok else 1


if __name__ == "__main__":
    sys.exit(main())
