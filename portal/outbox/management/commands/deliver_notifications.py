from __future__ import annotations

from django.core.management.base import BaseCommand

from portal.outbox.delivery import deliver_due_notifications


class Command(BaseCommand):
    help = "Send the due notifications of the outbox now."

    def handle(self, *args, **options):
        report = deliver_due_notifications()
        self.stdout.write(
            f"Outbox: {report.sent} sent, {report.retried} to retry, {report.failed} failed"
            f" ({report.reclaimed} stale claims reclaimed)."
        )
