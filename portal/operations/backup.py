"""``manage.py backup DIR`` and ``manage.py restore DIR`` (API.md, Operations).

A backup folder holds:

* ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or
  ``database.sqlite3`` (SQLite: its online backup API, a consistent copy of a live file);
* ``media/``: the files under ``MEDIA_ROOT`` (uploads; sealed objects live in the
  database, but any file there is carried, byte for byte);
* ``manifest.json``: the row count of every table and the SHA-256 of every file, and
  one check value per key of the ring in force (a fixed text sealed under that key
  alone), never a key.

Consistency on PostgreSQL: the counts and the dump read the same snapshot. The
backup opens a REPEATABLE READ transaction, exports its snapshot, counts every
table in it and runs ``pg_dump --snapshot``: everything committed before the backup
started is in it, everything after is not, whatever the portal writes meanwhile.

A restore refuses, with one line and a non-zero exit, before it writes anything: a
manifest that does not match the files, a key ring that cannot open the backup's
check values, a database or media folder that is not empty. It then loads the dump
in one transaction (``pg_restore --single-transaction --exit-on-error``), and checks
that every table's count matches and that every sealed object opens with the ring in
force; if a check fails the database is emptied again, so nothing stays half-restored.
The keys are never in the backup: keep them elsewhere (README, Backups).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from portal.crypto import KeyRing, SealedDataError, current_key_ring, open_sealed, seal
from portal.sealed import sealed_fields

MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"
FORMAT = 1
CHECK_TEXT = b"aftercare backup key check"
CHECK_CONTEXT = "backup-key-check"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A refusal: one line saying what is wrong; nothing was written or restored."""


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    sealed_opened: int = 0
    files: int = 0
    details: list[str] = field(default_factory=list)


# --- Shared ---------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def _tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def _counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
        counts[table] = cursor.fetchone()[0]
    return counts


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def key_checks(ring: KeyRing) -> dict[str, str]:
    """One check value per key of the ring: a fixed text sealed under that key alone.
    Opening it later proves the same key is in force under that id."""
    return {
        key_id: base64.b64encode(
            bytes(seal(CHECK_TEXT, context=CHECK_CONTEXT, ring=KeyRing(((key_id, key),))))
        ).decode()
        for key_id, key in ring.keys
    }


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments of the default database for pg_dump / pg_restore."""
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 (fixed tools, our arguments)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackupError(f"{command[0]} failed: {last}")


# --- Backup ---------------------------------------------------------------------------------


def backup(folder: Path, *, write=print) -> dict:
    """Write a consistent backup into ``folder`` (absent or empty); returns the manifest."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"the backup folder {folder} is not empty; give a new or empty folder")
    engine = _engine()
    folder.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    if engine == "postgresql":
        database_file, counts = _backup_postgresql(folder)
    else:
        database_file, counts = _backup_sqlite(folder)
    write(f"Database: {sum(counts.values())} rows in {len(counts)} tables -> {database_file}")
    files = {}
    root = _media_root()
    for path in _media_files(root):
        relative = path.relative_to(root).as_posix()
        target = folder / MEDIA / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[f"{MEDIA}/{relative}"] = sha256_of(target)
    write(f"Files under MEDIA_ROOT: {len(files)}")
    files[database_file] = sha256_of(folder / database_file)
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "database_file": database_file,
        "tables": counts,
        "files": files,
        "key_checks": key_checks(current_key_ring()),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _backup_postgresql(folder: Path) -> tuple[str, dict[str, int]]:
    """The counts and the dump from one snapshot (see the module's docstring)."""
    args, env = _pg_env()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _counts(cursor, _tables())
        # The snapshot lives as long as this transaction: pg_dump runs inside it.
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(folder / PG_DUMP), *args], env)
    return PG_DUMP, counts


def _backup_sqlite(folder: Path) -> tuple[str, dict[str, int]]:
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    target = sqlite3.connect(folder / SQLITE_COPY)
    try:
        source.backup(target)  # the online backup API: a consistent copy of a live file
        tables = [row[0] for row in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = sorted(t for t in tables if not t.startswith("sqlite_"))
        counts = {t: target.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    finally:
        target.close()
        source.close()
    return SQLITE_COPY, counts


# --- Restore --------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    """The manifest, after checking that every file it names is there, unchanged, and
    that no other file is."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {MANIFEST}: not an Aftercare backup")
    try:
        manifest = json.loads(path.read_text())
        files = dict(manifest["files"])
        manifest["tables"], manifest["key_checks"], manifest["database_file"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{MANIFEST} is damaged ({type(exc).__name__})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} has format {manifest.get('format')!r}; this version reads {FORMAT}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(files):
        extra, missing = sorted(present - set(files)), sorted(set(files) - present)
        raise BackupError(f"the manifest does not match the folder (missing {missing}, not listed {extra})")
    for name, expected in sorted(files.items()):
        if sha256_of(folder / name) != expected:
            raise BackupError(f"the manifest does not match the folder: {name} has changed (checksum)")
    return manifest


def check_key_ring(manifest: dict, ring: KeyRing) -> None:
    """Every key the backup was made with must be in force, under the same id."""
    wrong = []
    for key_id, check in sorted(manifest["key_checks"].items()):
        try:
            if open_sealed(base64.b64decode(check), context=CHECK_CONTEXT, ring=ring) != CHECK_TEXT:
                wrong.append(key_id)
        except (SealedDataError, ValueError):
            wrong.append(key_id)
    if wrong:
        raise BackupError(
            f"wrong key ring: AFTERCARE_ENCRYPTION_KEYS lacks the key(s) {', '.join(wrong)} of this backup "
            "(or holds other keys under those ids)"
        )


def _database_is_empty() -> bool:
    return not _tables()


def restore(folder: Path, *, write=print) -> RestoreReport:
    """Restore ``folder`` into the empty default database and an empty MEDIA_ROOT.

    1. Refuse unless the manifest matches the files, the key ring opens the backup's
       checks, and the database and MEDIA_ROOT are empty (nothing written yet).
    2. Load the database in one transaction; copy the files.
    3. Verify: every table's count, every file's checksum, every sealed object opens.
    4. On a failed check, empty the database and MEDIA_ROOT again, and refuse.
    """
    manifest = read_manifest(folder)
    check_key_ring(manifest, current_key_ring())
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(f"this backup is of {manifest['engine']}; the database in force is {engine}")
    if not _database_is_empty():
        raise BackupError("the database is not empty: restore only into a new, empty database")
    root = _media_root()
    if _media_files(root):
        raise BackupError(f"MEDIA_ROOT ({root}) is not empty: restore only into an empty folder")
    try:
        if engine == "postgresql":
            args, env = _pg_env()
            _run(
                [
                    "pg_restore",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    *args,
                    str(folder / manifest["database_file"]),
                ],
                env,
            )
        else:
            _restore_sqlite(folder / manifest["database_file"])
        write(f"Database loaded from {manifest['database_file']}.")
        for name in manifest["files"]:
            if name.startswith(f"{MEDIA}/"):
                target = root / name.removeprefix(f"{MEDIA}/")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(folder / name, target)
        return verify(manifest, write=write)
    except BackupError:
        _undo(engine)
        raise
    except Exception as exc:
        _undo(engine)
        raise BackupError(f"the restore failed and was undone ({type(exc).__name__})") from exc


def _remove_sqlite_database() -> Path:
    """Close the connection and remove the database file with its WAL and shared-memory files."""
    connection.close()
    target = Path(settings.DATABASES["default"]["NAME"])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return target


def _restore_sqlite(source: Path) -> None:
    target = _remove_sqlite_database()
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        target_db.close()
        source_db.close()


def verify(manifest: dict, *, write=print) -> RestoreReport:
    """Counts, file checksums and every sealed object, against the ring in force."""
    report = RestoreReport()
    with connection.cursor() as cursor:
        counts = _counts(cursor, _tables())
    expected = manifest["tables"]
    if counts != expected:
        differing = sorted(t for t in set(counts) | set(expected) if counts.get(t) != expected.get(t))
        raise BackupError(f"the restored counts do not match the manifest: {', '.join(differing[:5])}")
    report.tables, report.rows = len(counts), sum(counts.values())
    root = _media_root()
    for name, checksum in manifest["files"].items():
        if name.startswith(f"{MEDIA}/"):
            if sha256_of(root / name.removeprefix(f"{MEDIA}/")) != checksum:
                raise BackupError(f"the restored file {name} does not match its checksum")
            report.files += 1
    report.sealed_opened = open_every_sealed_object()
    write(
        f"Verified: {report.rows} rows in {report.tables} tables as in the manifest, {report.files} files, "
        f"{report.sealed_opened} sealed objects open with the key ring in force."
    )
    return report


def open_every_sealed_object() -> int:
    """Open every registered sealed column and every sealed MFA secret; the first that
    does not open raises ``BackupError`` naming its table and row (never its content)."""
    from portal.accounts.adapters import MFA_KEYS, PREFIX, authenticator_seal_context

    ring = current_key_ring()
    opened = 0
    for sealed in sealed_fields():
        model = sealed.model_class
        for row in model._base_manager.order_by("pk").iterator(chunk_size=100):
            blob = getattr(row, sealed.field)
            if not blob:
                continue
            try:
                open_sealed(bytes(blob), context=sealed.context(row), ring=ring)
            except SealedDataError as exc:
                raise BackupError(f"{sealed.model}.{sealed.field} row {row.pk} does not open: {exc}") from exc
            opened += 1
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        rows = Authenticator._base_manager.order_by("pk").values_list("pk", "user_id", "type", "data")
        for pk, user_id, kind, data in rows:
            values = [data.get(key) for key in MFA_KEYS] if isinstance(data, dict) else []
            values += list(data.get("migrated_codes") or []) if isinstance(data, dict) else []
            # Each is sealed to its row's owner and kind (portal.accounts.adapters).
            context = authenticator_seal_context(user_id, kind)
            for text in values:
                if isinstance(text, str) and text.startswith(PREFIX):
                    try:
                        open_sealed(base64.b64decode(text[len(PREFIX) :]), context=context, ring=ring)
                    except (SealedDataError, ValueError) as exc:
                        raise BackupError(f"mfa.Authenticator row {pk} does not open: {exc}") from exc
                    opened += 1
    return opened


def _undo(engine: str) -> None:
    """Back to empty: drop every table restored, remove every file copied."""
    if engine == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            for table in _tables():
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    else:
        _remove_sqlite_database()
    root = _media_root()
    for path in _media_files(root):
        path.unlink()
