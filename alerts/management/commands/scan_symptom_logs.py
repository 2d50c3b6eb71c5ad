from __future__ import annotations

from django.core.management.base import BaseCommand

from alerts import scan
from alerts.tasks import scan_with_heartbeat


class Command(BaseCommand):
    help = "Scan the symptom diary once now (pattern rules, missed check-ins), as the beat schedule does."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rescan every entry (the nightly safety net).")

    def handle(self, *args, full: bool = False, **options):
        report = scan.full_rescan() if full else scan_with_heartbeat()
        if not report.ran:
            self.stdout.write("Another scan is running; nothing done.")
            return
        self.stdout.write(
            f"Scan done: {report.detections} detections, {report.alerts_created} new on alerts, "
            f"{report.reminders} reminders."
        )
