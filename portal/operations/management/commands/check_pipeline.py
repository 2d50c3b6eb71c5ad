"""``python manage.py check_pipeline``: is the alert pipeline on time? For cron, an
external monitor and the beat container's health check (docker-compose.yml).

Prints one line and exits 0 when ``/readyz`` would answer 200, 1 otherwise. Like a
page view and ``/readyz`` it also notices: it opens or clears the incident and sends
the on-call email that is owed (once, whoever notices first). It needs neither the
web server nor a worker, so it notices what they cannot.
"""

from __future__ import annotations

import dataclasses
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from portal.operations.pipeline import pipeline_status, watch_pipeline
from portal.operations.views import broker_answers


class Command(BaseCommand):
    help = "Exit non-zero when the scan or the outbox is late (as /readyz answers 503); email the on-call address."

    def handle(self, *args, **options) -> None:
        try:
            status = pipeline_status()
        except DatabaseError as exc:
            self.stderr.write(f"NOT READY: the database does not answer ({type(exc).__name__}).")
            sys.exit(1)
        status = dataclasses.replace(status, broker=broker_answers())
        watch_pipeline(status=status)
        body = status.as_json()
        scan_age, waiting = body["scan"]["age_s"], body["outbox"]["oldest_pending_age_s"]
        facts = (
            f"scan {'never ran' if scan_age is None else f'{scan_age} s ago'}, "
            f"oldest waiting email {'none' if waiting is None else f'{waiting} s'}, "
            f"{body['outbox']['failed_24h']} failed in 24 h, broker {'answers' if status.broker else 'DOES NOT answer'}"
        )
        if status.ok:
            self.stdout.write(f"ok: {facts}")
            return
        reason = status.delay_sentence() or "Alerts may be delayed: the broker does not answer"
        self.stderr.write(f"NOT READY: {reason} ({facts})")
        sys.exit(1)
