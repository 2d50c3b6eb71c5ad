"""``python manage.py backup DIR``: a consistent backup of the database and the files
under MEDIA_ROOT, with a manifest (portal/operations/backup.py; README, Backups)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the sealed files into DIR (new or empty), with a manifest of counts and checksums."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path, help="a new or empty folder")

    def handle(self, *args, folder: Path, **options) -> None:
        try:
            manifest = backup(folder, write=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"Backup refused: {exc}.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {folder}: {sum(manifest['tables'].values())} rows, {len(manifest['files'])} files. "
                "Keep AFTERCARE_ENCRYPTION_KEYS elsewhere: without them the backup cannot be read."
            )
        )
