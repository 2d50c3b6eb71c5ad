"""``manage.py backup DIR`` and ``manage.py restore DIR`` (API.md, Operations).

The proof: a seeded clinic is backed up, restored into a fresh database, and every
API read of every persona answers the same, byte for byte, on both. Then each
refusal: a backup folder that is not empty, a non-empty database, a manifest that
does not match, a wrong key ring; each one line, a non-zero exit, nothing restored.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from alerts.models import Alert
from labs.models import LabReport, LabRequest
from messaging.models import Attachment, InboxItem, Thread
from patients.models import Patient
from portal.accounts.models import User
from portal.demo import DEMO_PEOPLE
from portal.operations.backup import MANIFEST
from tests.factories import enable_totp
from tests.security.routes import resolver_routes
from tests.sessions import sign_in

FROZEN = "2026-11-20T10:00:00+00:00"
# Which rows fill each path parameter of the API's GET routes.
PARAMS = {
    "patient_id": Patient,
    "thread_id": Thread,
    "attachment_id": Attachment,
    "item_id": InboxItem,
    "alert_id": Alert,
    ("lab-reports", "pk"): LabReport,
    ("lab-requests", "pk"): LabRequest,
}


def admin_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


@contextlib.contextmanager
def database(name: str):
    """A new, empty database that the default connection uses inside the block."""
    with psycopg.connect(admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        with psycopg.connect(admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded_clinic(media_root):
    """The demo clinic (committed: pg_dump reads it from another connection), its
    clinicians and admin with TOTP (sealed secrets), and a file under MEDIA_ROOT."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for user in User.objects.filter(role__in=["clinician", "admin"]):
        enable_totp(user)
    (media_root / "reports").mkdir(parents=True)
    (media_root / "reports" / "scan.bin").write_bytes(b"\x00sealed-looking bytes\xff" * 100)


def every_read() -> list[str]:
    """Every GET route of /api/v1/, each path parameter filled with every row's id."""
    paths = []
    for route in resolver_routes():
        if not route.route.startswith("api/v1/") or "GET" not in route.methods:
            continue
        if not route.params:
            paths.append("/" + route.route)
            continue
        (param,) = route.params
        model = PARAMS.get(param) or next(m for (prefix, p), m in _scoped() if p == param and prefix in route.route)
        for pk in model.objects.order_by("pk").values_list("pk", flat=True):
            paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", str(pk), route.route))
    return paths


def _scoped():
    return [(key, model) for key, model in PARAMS.items() if isinstance(key, tuple)]


def read_all(paths: list[str]) -> dict[tuple[str, str], tuple[int, bytes]]:
    """Each persona reads each path (at one frozen moment, so that the audit rows the
    reads write are the same on both databases)."""
    answers = {}
    with time_machine.travel(FROZEN, tick=False):
        for person in DEMO_PEOPLE:
            client = APIClient()
            sign_in(client, User.objects.get(email=person.email))  # with the TOTP step, for those who have TOTP
            for path in paths:
                response = client.get(path)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                answers[(person.email, path)] = (response.status_code, body)
    return answers


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_seeded_clinic_restores_and_every_persona_reads_the_same(seeded_clinic, media_root, tmp_path, capsys):
    folder = tmp_path / "backup"
    call_command("backup", str(folder))
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["tables"]["patients_patient"] == Patient.objects.count() >= 2
    assert set(manifest["files"]) == {"database.dump", "media/reports/scan.bin"}
    assert "AFTERCARE_ENCRYPTION_KEYS" not in (folder / MANIFEST).read_text()

    paths = every_read()
    assert len(paths) > 30
    before = read_all(paths)
    assert sum(status == 200 for status, _ in before.values()) > 40, "the personas read real data"
    assert {status for status, _ in before.values()} <= {200, 400, 403, 404}

    media_before = (media_root / "reports" / "scan.bin").read_bytes()
    for path in media_root.rglob("*"):
        if path.is_file():
            path.unlink()
    with database(f"{connection.settings_dict['NAME']}_restored"):
        call_command("restore", str(folder))
        out = capsys.readouterr().out
        assert "sealed objects open with the key ring in force" in out
        opened = int(re.search(r"(\d+) sealed objects open", out).group(1))
        assert opened >= 8, "messages, attachments, lab files and TOTP secrets were opened"
        after = read_all(paths)
        assert (media_root / "reports" / "scan.bin").read_bytes() == media_before
    differing = [key for key in before if before[key] != after.get(key)]
    assert differing == [], f"{len(differing)} reads differ after the restore, e.g. {differing[:3]}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_refusals_each_one_line_and_nothing_restored(seeded_clinic, media_root, tmp_path, settings):
    folder = tmp_path / "backup"
    call_command("backup", str(folder))

    # A backup folder that is not empty.
    with pytest.raises(CommandError, match=r"^Backup refused: the backup folder .* is not empty"):
        call_command("backup", str(folder))

    # A non-empty database (the one in force).
    with pytest.raises(CommandError, match=r"^Restore refused: the database is not empty"):
        call_command("restore", str(folder))

    for path in media_root.rglob("*"):
        if path.is_file():
            path.unlink()
    with database(f"{connection.settings_dict['NAME']}_refused"):
        # A wrong key ring: another key under the same id, then a ring without the key.
        ring = settings.AFTERCARE_ENCRYPTION_KEYS
        first_id = ring.split(",")[0].split(":")[0]
        settings.AFTERCARE_ENCRYPTION_KEYS = f"{first_id}:{'A' * 43}"
        with pytest.raises(CommandError, match=r"^Restore refused: wrong key ring: .*lacks the key\(s\)"):
            call_command("restore", str(folder))
        settings.AFTERCARE_ENCRYPTION_KEYS = ring
        assert connection.introspection.table_names() == []

        # A manifest that does not match: a changed file, a missing file, an extra file.
        dump = folder / "database.dump"
        data = dump.read_bytes()
        dump.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        with pytest.raises(CommandError, match=r"^Restore refused: the manifest does not match .*database.dump"):
            call_command("restore", str(folder))
        dump.write_bytes(data)
        (folder / "stray.txt").write_text("x")
        with pytest.raises(CommandError, match=r"not listed \['stray.txt'\]"):
            call_command("restore", str(folder))
        (folder / "stray.txt").unlink()
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["tables"]["patients_patient"] += 1
        (folder / MANIFEST).write_text(json.dumps(manifest))
        with pytest.raises(
            CommandError, match=r"^Restore refused: the restored counts do not match .*patients_patient"
        ):
            call_command("restore", str(folder))
        assert connection.introspection.table_names() == [], "a failed check leaves the database empty"
        assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_a_refusal_is_one_line_and_a_non_zero_exit(tmp_path):
    """Through the real command line (what cron and an operator see)."""
    import subprocess
    import sys

    folder = tmp_path / "not-empty"
    folder.mkdir()
    (folder / "something").write_text("x")
    done = subprocess.run(
        [sys.executable, "manage.py", "backup", str(folder)],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"CommandError: Backup refused: the backup folder {folder} is not empty; give a new or empty folder."
    ]
