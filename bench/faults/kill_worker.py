"""Fault (b): kill -9 a Celery worker during delivery, again and again.

    .venv/bin/python bench/faults/kill_worker.py [--kills 10] [--claim-timeout 20]

Own database, Redis, SMTP catcher (a slow relay: ``--smtp-delay`` per message, so a
batch takes seconds), one worker (2 pool processes) and one beat. Each round raises
``--burst`` urgent alerts (care team + patient: two emails each) through the same
service the symptom API calls; their delivery is queued on commit. When the SMTP
server has accepted part of the round, a worker dies by SIGKILL while it is sending:
odd rounds the pool process holding the SMTP connection (the worker replaces it),
even rounds the whole worker, main process and pool (a machine dies; it is started
again). A killed sender's rows stay "sending" until the claim timeout
(``AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS``, shortened to ``--claim-timeout``
so the run takes minutes; the default is 600 s) and the every-minute sweep sends them.

Counts, and the targets: every notification sent and received (0 lost); duplicates
only from kills (an email accepted by the server just before its row was marked
sent): at most one per kill, the whole worker's included (its pool processes take
turns to send: ``portal.outbox.delivery.sending_turn``). Exit status 1 on a miss.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import diary_body, verdict, wait_until, write_figures
from bench.faults.harness import FaultRun, say


def socket_inodes_to(port: int) -> set[str]:
    """Inodes of established TCP connections whose remote end is 127.0.0.1:``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            inodes.add(inode)
    return inodes


def sending_pids(candidates: list[int], port: int) -> list[int]:
    inodes = socket_inodes_to(port)
    found = []
    for pid in candidates:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            found.append(pid)
    return found


def raise_urgent_alert(patient) -> None:
    from patients.diary import submit_symptom_entry

    submit_symptom_entry(
        patient=patient, data=diary_body(back_pain=1, headache=1, numbness=True), entered_by=patient.user
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--burst", type=int, default=40, help="urgent alerts per round (two emails each)")
    parser.add_argument("--claim-timeout", type=int, default=20, help="seconds (the setting's default is 600)")
    parser.add_argument("--smtp-delay", type=float, default=0.03, help="seconds the SMTP server takes per message")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rng = random.Random(9)
    settings = {"AFTERCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS": str(args.claim_timeout)}

    with FaultRun("kill_worker", settings=settings, smtp_delay=args.smtp_delay, keep=args.keep) as run:
        from django.db.models import Count

        from bench.people import create_clinic
        from portal.outbox.models import Notification

        clinic = create_clinic(prefix="kill", patients=args.kills * args.burst + 1, clinicians=4)
        patients = list(clinic.patients)
        worker = run.worker(supervised=False)  # this script kills and restarts it itself
        run.beat()
        raise_urgent_alert(patients.pop())
        if not wait_until(lambda: run.smtp.count() >= 2, timeout=90):
            say(run, "the worker delivered nothing within 90 s; see var/bench/fault-kill_worker/logs/")
            return 2
        say(run, f"worker up; {args.kills} rounds of {args.burst} urgent alerts, a kill in each while sending")

        kills: list[float] = []  # wall-clock time of each kill
        senders: list[int] = []  # processes with an SMTP connection that each kill ended
        for k in range(args.kills):
            before = run.smtp.count()
            for _ in range(args.burst):
                raise_urgent_alert(patients.pop())
            target = before + rng.randint(5, 2 * args.burst - 10)
            if not wait_until(lambda target=target: run.smtp.count() >= target, timeout=60, interval=0.01):
                say(run, f"round {k + 1}: delivery stalled before the kill (received {run.smtp.count()})")
            whole = k % 2 == 1
            if whole:
                victims = [worker.pid]
                # A pool process holding an SMTP connection may leave one accepted email unmarked.
                senders.append(len(sending_pids(worker.children(), run.smtp.port)))
                worker.kill_group()
            else:
                # One process per kill: the one holding the SMTP connection.
                victims = (sending_pids(worker.children(), run.smtp.port) or worker.children())[:1]
                senders.append(len(sending_pids(victims, run.smtp.port)))
                for pid in victims:
                    os.kill(pid, signal.SIGKILL)
            kills.append(time.time())
            say(
                run,
                f"kill {k + 1}: SIGKILL to {'the whole worker' if whole else 'the sending pool process'} "
                f"(pid {', '.join(map(str, victims))}) after {run.smtp.count() - before} emails of the round",
            )
            if whole:
                worker = run.worker(f"worker{k + 1}", supervised=False)
            time.sleep(1.0)

        total = Notification.objects.count()

        def settled() -> bool:
            sent = set(Notification.objects.filter(status="sent").values_list("pk", flat=True))
            return len(sent) == total and sent <= set(run.smtp.ids())

        drain_limit = args.claim_timeout + 150
        drained = wait_until(settled, timeout=drain_limit, interval=1.0)
        say(run, f"{'all' if drained else 'NOT all'} notifications settled (limit {drain_limit} s)")

        statuses = dict(Notification.objects.values_list("status").annotate(n=Count("id")))
        received = set(run.smtp.ids())
        ids = set(Notification.objects.values_list("pk", flat=True))
        lost = len(ids - received)
        duplicates = run.smtp.duplicates()
        arrivals = run.smtp.first_arrival()
        per_kill = [0] * len(kills)
        unattributed = 0
        for nid, extra in duplicates.items():
            after = [i for i, at in enumerate(kills) if at >= arrivals[nid]]
            if after:
                per_kill[after[0]] += extra
            else:
                unattributed += extra

        print(
            f"\nKills {len(kills)}; notifications {total} ({statuses}); received {len(received)} distinct, "
            f"{run.smtp.count()} messages in all"
        )
        print(f"  lost (never received): {lost}")
        print(f"  duplicate copies: {sum(duplicates.values())}; per kill {per_kill}; not after a kill {unattributed}")
        lost_ok = lost == 0 and statuses.get("sent", 0) == total
        dup_ok = max(per_kill, default=0) <= 1 and unattributed == 0
        print(f"  processes holding an SMTP connection when killed (pool processes take turns): {senders}")
        figures = [
            {
                "name": f"(b) worker killed -9 {len(kills)} times during delivery: lost notifications",
                "value": lost,
                "unit": f"of {total}",
                "target": "0",
                "ok": lost_ok,
            },
            {
                "name": "(b) duplicate emails per kill (max)",
                "value": max(per_kill, default=0),
                "unit": f"({sum(duplicates.values())} in all; per kill {per_kill}; {unattributed} not after a kill)",
                "target": "<= 1 (the email inside the send window)",
                "ok": dup_ok,
            },
        ]
        for f in figures:
            print(f"  {f['name']}: {f['value']} {f['unit']}; target {f['target']}: {verdict(f['ok'])}")
        write_figures("fault_kill_worker", figures)
        return 0 if lost_ok and dup_ok else 1


if __name__ == "__main__":
    sys.exit(main())
