"""Fault (d): two beat processes and four workers for 10 minutes.

    .venv/bin/python bench/faults/double_beat.py [--minutes 10]

Own database, Redis, SMTP catcher; four Celery workers (2 pool processes each) and
two beats, each enqueueing the whole schedule (the symptom scan, the outbox sweep and
the escalation every minute: everything runs twice, often at the same moment, on
eight processes). For ``--minutes`` patients post about ``--rate`` entries a second
through the same service the symptom API calls: ordinary entries, urgent ones
(numbness: an instant alert, and ``new_weakness`` from the scan after an entry
without it), vomiting (contact_provider) and rising temperatures (``rising_fever``
from the scan). Urgent alerts nobody acknowledges are escalated after
``AFTERCARE_ALERT_ESCALATION_MINUTES`` (``--escalation-minutes``, 2 here, so escalations
happen within the run), and patients on day 1 with no entry get a missed check-in reminder.

Targets: 0 duplicate alerts (one per entry and rule), 0 duplicate notifications (one
per recipient, event and kind), 0 emails received twice, every email delivered, and
no pattern alert missing against the nightly full rescan (the oracle). Exit status 1
on a miss.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import diary_body, wait_until
from bench.faults.harness import FaultRun, say


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long both beats run (the target: 10)")
    parser.add_argument("--rate", type=float, default=1.0, help="entries per second")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--beats", type=int, default=2)
    parser.add_argument("--escalation-minutes", type=int, default=2, help="short, so escalations happen in the run")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    settings = {"AFTERCARE_ALERT_ESCALATION_MINUTES": str(args.escalation_minutes)}

    with FaultRun("double_beat", settings=settings, keep=args.keep) as run:
        from django.db import connection
        from django.db.models import Count

        from alerts.models import Alert, AlertFiring
        from alerts.scan import full_rescan_detections
        from bench.people import create_clinic
        from messaging.models import InboxItem
        from patients.diary import submit_symptom_entry
        from portal.outbox.models import Notification

        clinic = create_clinic(prefix="double", patients=300, clinicians=6, team_size=2)
        quiet = create_clinic(prefix="quiet", patients=20, clinicians=1, procedure_hours_ago=30)
        for n in range(args.workers):
            run.worker(f"worker{n + 1}")
        for n in range(args.beats):
            run.beat(f"beat{n + 1}")
        say(
            run,
            f"{args.workers} workers, {args.beats} beats; {len(quiet.patients)} patients on day 1 without an "
            f"entry (reminders); posting {args.rate}/s for {args.minutes:g} min",
        )

        rng = random.Random(11)
        temperatures: dict[int, float] = {}
        kinds: dict[str, int] = {}
        end = time.monotonic() + args.minutes * 60
        next_at = time.monotonic()
        last_report = time.monotonic()
        while next_at < end:
            time.sleep(max(0.0, next_at - time.monotonic()))
            roll = rng.random()
            # Rising temperatures come from a few patients, so that their series complete.
            patient = rng.choice(clinic.patients[:12] if 0.27 <= roll < 0.45 else clinic.patients)
            data = diary_body(back_pain=1, headache=1)
            if roll < 0.12:
                kind, data["numbness"] = "urgent", True
            elif roll < 0.27:
                kind, data["vomiting"] = "vomiting", True
            elif roll < 0.45:
                kind = "rising temperature"
                temperatures[patient.pk] = round(temperatures.get(patient.pk, 36.6) + 0.3, 1)
                if temperatures[patient.pk] > 37.9:  # below the fever threshold: a new series
                    temperatures[patient.pk] = 36.9
                data["temperature_c"] = temperatures[patient.pk]
            else:
                kind = "ordinary"
            submit_symptom_entry(patient=patient, data=data, entered_by=patient.user)
            kinds[kind] = kinds.get(kind, 0) + 1
            next_at += rng.expovariate(args.rate)
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                say(run, f"{sum(kinds.values())} entries, {Alert.objects.count()} alerts, {run.smtp.count()} emails")
        posted_at = time.monotonic()
        say(run, f"posting ended: {kinds}")

        def settled() -> bool:
            # At least one scan after the last entry, and every notification sent and received.
            if time.monotonic() - posted_at < 70:
                return False
            sent = set(Notification.objects.filter(status="sent").values_list("pk", flat=True))
            return Notification.objects.exclude(status="sent").count() == 0 and sent <= set(run.smtp.ids())

        drained = wait_until(settled, timeout=240, interval=2.0)
        say(run, f"{'settled' if drained else 'NOT settled within 240 s'}")

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT entry_id, rule_id FROM alerts_alert WHERE entry_id IS NOT NULL "
                "GROUP BY entry_id, rule_id HAVING count(*) > 1) d"
            )
            duplicate_alerts = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM (SELECT recipient_id, kind, source_type, source_id FROM outbox_notification "
                "WHERE source_id <> '' GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"
            )
            duplicate_notifications = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM (SELECT recipient_id FROM outbox_notification WHERE kind = 'reminder' "
                "GROUP BY 1 HAVING count(*) > 1) d"
            )
            duplicate_reminders = cursor.fetchone()[0]
        duplicate_inbox = (
            InboxItem.objects.filter(kind="alert").values("source_id").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        by_rule = dict(Alert.objects.values_list("rule__code").annotate(n=Count("id")))
        by_kind = dict(Notification.objects.values_list("kind").annotate(n=Count("id")))
        statuses = dict(Notification.objects.values_list("status").annotate(n=Count("id")))
        oracle = {d.dedup_key for d in full_rescan_detections()}
        # The oracle's keys are firings' keys: a pattern rule that fires on an entry that
        # already has its alert (one alert per entry) is a firing on that alert.
        missing_pattern = len(oracle - set(AlertFiring.objects.values_list("dedup_key", flat=True)))
        received = run.smtp.ids()
        ids = set(Notification.objects.values_list("pk", flat=True))
        duplicate_emails = len(received) - len(set(received))
        undelivered = len(ids - set(received))

        print(f"\nAlerts by rule {by_rule}")
        print(f"Notifications by kind {by_kind}; by status {statuses}")
        print(f"Emails received {len(received)} ({len(set(received))} distinct) of {len(ids)} notifications")
        checks = {
            "duplicate alerts (same entry and rule)": duplicate_alerts,
            "duplicate inbox items (same alert)": duplicate_inbox,
            "duplicate notifications (same recipient, event and kind)": duplicate_notifications,
            "duplicate reminders (same patient)": duplicate_reminders,
            "emails received twice": duplicate_emails,
            "notifications not delivered": undelivered,
            "pattern alerts missing against the full rescan": missing_pattern,
        }
        for name, value in checks.items():
            print(f"  {name}: {value}")
        escalations = by_kind.get("escalation", 0)
        reminders = by_kind.get("reminder", 0)
        exercised = escalations > 0 and reminders == len(quiet.patients) and by_rule.get("rising_fever", 0) > 0
        print(f"  escalations {escalations}, reminders {reminders} (of {len(quiet.patients)}): exercised {exercised}")
        ok = drained and exercised and not any(checks.values())
        figures = [
            {
                "name": f"(d) {args.beats} beats + {args.workers} workers for {args.minutes:g} min: duplicate "
                "alerts / notifications / emails",
                "value": f"{duplicate_alerts} / {duplicate_notifications} / {duplicate_emails}",
                "unit": f"({sum(by_rule.values())} alerts, {len(ids)} emails, {escalations} escalations, "
                f"{reminders} reminders; {undelivered} undelivered, {missing_pattern} missing vs full rescan)",
                "target": "0 / 0 / 0, all delivered",
                "ok": ok,
            }
        ]
        run.report("d", figures)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
