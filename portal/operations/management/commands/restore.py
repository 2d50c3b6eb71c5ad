"""``python manage.py restore DIR``: restore a backup into an empty database and an
empty MEDIA_ROOT, then check that every count matches and every sealed object opens
with the key ring in force. Run it as the database's owner role."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into an empty database (refuses a non-empty one) and verify it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path, help="a folder written by manage.py backup")

    def handle(self, *args, folder: Path, **options) -> None:
        try:
            report = restore(folder, write=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"Restore refused: {exc}.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Restored {folder}: {report.rows} rows, {report.sealed_opened} sealed objects open.")
        )
