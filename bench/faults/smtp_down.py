"""Fault (c): the SMTP server is down for 5 minutes while 100 alerts are raised.

    .venv/bin/python bench/faults/smtp_down.py [--down 300] [--alerts 100]

Own database, Redis, SMTP catcher, one worker and one beat, with the outbox settings
of the environment (``AFTERCARE_NOTIFICATION_*``: the project's defaults unless set).
The SMTP port is closed (connections refused); ``--alerts`` urgent alerts are raised,
spread evenly over the ``--down`` seconds (the care team and the patient: two emails
each), through the same service the symptom API calls. Every delivery attempt fails
and each row is retried with exponential backoff. Then the port opens again.

Targets: every email delivered within ``--recover-within`` seconds (default 300) of
SMTP's return, none twice, none given up ("failed"). ``--down`` may be shortened for
a quick run; the default is the real figure. Exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import wait_until
from bench.faults.harness import FaultRun, say


def worst_wait_after_recovery(down: float, base: float, cap: float, attempts: int, sweep: float = 60.0) -> float:
    """The longest a row first tried during the outage can wait after SMTP returns:
    the longest backoff interval that can straddle the return, plus one sweep period
    (a row that is due is picked up by the every-minute sweep or an on-commit trigger)."""
    longest, elapsed = 0.0, 0.0
    for attempt in range(1, attempts):
        interval = min(base * 2 ** (attempt - 1), cap)
        if elapsed >= down:
            break
        longest = max(longest, interval)
        elapsed += interval
    return longest + sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down", type=float, default=300.0, help="seconds SMTP is down (the target figure: 300)")
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--recover-within", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with FaultRun("smtp_down", keep=args.keep) as run:
        from django.conf import settings
        from django.db.models import Count

        from bench.faults.kill_worker import raise_urgent_alert
        from bench.people import create_clinic
        from portal.outbox.models import Notification

        base = settings.AFTERCARE_NOTIFICATION_BACKOFF_SECONDS
        cap = settings.AFTERCARE_NOTIFICATION_BACKOFF_MAX_SECONDS
        attempts = settings.AFTERCARE_NOTIFICATION_MAX_ATTEMPTS
        bound = worst_wait_after_recovery(args.down, base, cap, attempts)
        clinic = create_clinic(prefix="smtp", patients=args.alerts + 1, clinicians=4)
        patients = list(clinic.patients)
        run.worker()
        run.beat()
        raise_urgent_alert(patients.pop())
        if not wait_until(lambda: run.smtp.count() >= 2, timeout=90):
            say(run, "the worker delivered nothing within 90 s; see var/bench/fault-smtp_down/logs/")
            return 2
        before = run.smtp.count()
        say(
            run,
            f"outbox settings: backoff {base} s doubling, capped at {cap} s, {attempts} attempts; for a "
            f"{args.down:.0f} s outage the longest wait after SMTP returns is at most about {bound:.0f} s",
        )
        run.smtp.stop()
        down_at = time.monotonic()
        say(run, f"SMTP down (port closed); raising {args.alerts} urgent alerts over {args.down:.0f} s")
        for index, patient in enumerate(patients):
            time.sleep(max(0.0, down_at + index * args.down / args.alerts - time.monotonic()))
            raise_urgent_alert(patient)
        time.sleep(max(0.0, down_at + args.down - time.monotonic()))
        attempts_made = Notification.objects.exclude(status="sent").filter(attempts__gt=0).count()
        run.smtp.start()
        up_at = time.time()
        say(run, f"SMTP up again; {attempts_made} rows had failed at least one attempt")

        total = Notification.objects.count()

        def settled() -> bool:
            sent = set(Notification.objects.filter(status="sent").values_list("pk", flat=True))
            return len(sent) == total and sent <= set(run.smtp.ids())

        settled_in_time = wait_until(settled, timeout=args.recover_within, interval=1.0)
        if not settled_in_time:
            wait_until(settled, timeout=bound + 60, interval=1.0)  # how late, for the report
        statuses = dict(Notification.objects.values_list("status").annotate(n=Count("id")))
        received = set(run.smtp.ids())
        ids = set(Notification.objects.values_list("pk", flat=True))
        arrivals = run.smtp.first_arrival()
        alert_emails = ids - {n for n, _ in run.smtp.received[:before]}
        last = max((arrivals[n] for n in alert_emails if n in arrivals), default=up_at)
        missing = len(ids - received)
        duplicates = sum(run.smtp.duplicates().values())
        max_attempts = max(Notification.objects.values_list("attempts", flat=True), default=0)

        print(f"\nNotifications {total} ({statuses}); received {len(received)} distinct, {run.smtp.count()} in all")
        print(
            f"  last email {last - up_at:.0f} s after SMTP returned (target {args.recover_within:.0f} s); "
            f"missing {missing}; duplicate copies {duplicates}; most attempts of a row {max_attempts}"
        )
        on_time = settled_in_time and last - up_at <= args.recover_within
        ok = on_time and missing == 0 and duplicates == 0 and statuses.get("failed", 0) == 0
        figures = [
            {
                "name": f"(c) SMTP down {args.down:.0f} s during {args.alerts} alerts: last email after recovery",
                "value": round(last - up_at, 1),
                "unit": f"s ({len(received)}/{total} delivered, {duplicates} duplicates, "
                f"{statuses.get('failed', 0)} failed; backoff {base} s x2 capped {cap} s)",
                "target": f"all within {args.recover_within:.0f} s, 0 duplicates",
                "ok": ok,
            }
        ]
        run.report("c", figures)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
