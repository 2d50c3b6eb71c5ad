"""``python manage.py rotate_encryption_key``: re-wrap every sealed object under the
newest key of ``AFTERCARE_ENCRYPTION_KEYS``.

How to rotate: put the new key first in the ring (keep the old ones after it), deploy,
run this command, and drop an old key only once the command reports nothing left
under it. Re-wrapping touches only each blob's header (``portal.crypto.rewrap``):
the data key is unwrapped with the old ring key and wrapped with the newest one,
so even 10 MB lab files are cheap.

What it walks: every column registered in ``portal.sealed`` (lab files and names,
message bodies, subjects, attachments, forward notes, ...) and the MFA secrets that
allauth keeps as ``"sealed2:<base64>"`` strings in ``Authenticator.data`` (the TOTP
secret, the recovery-code seed and any migrated codes), each sealed to its row.

Safe while the portal keeps serving:
1. Rows are visited in primary-key order, ``--batch-size`` at a time; per batch only
   the first bytes of each blob (its header) are read to find the key it is under.
2. A blob already under the newest key is skipped: an interrupted run simply starts
   again and continues where blobs still need it (resumable, idempotent).
3. Each re-wrap is one short conditional UPDATE in its own transaction: it applies
   only if the blob still starts with the header that was read. A row rewritten
   meanwhile by the portal is read again (up to 3 times), never overwritten.
4. Progress goes to stdout per batch: counts per field.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db.models import BinaryField, F, Value
from django.db.models.functions import Substr
from django.db.models.lookups import Exact

from portal.accounts.adapters import MFA_KEYS, PREFIX, authenticator_seal_context
from portal.crypto import KeyRing, SealedDataError, current_key_ring, rewrap, sealed_key_id
from portal.sealed import SealedField, sealed_fields

# More than the longest header (3 + 1 + 255 + 12 + 48 + 12 bytes) plus a tag: enough
# to read the key id, and (with random nonces) to recognise a blob that changed.
HEAD_BYTES = 512
RETRIES = 3
BAR_WIDTH = 24


@dataclass
class Progress:
    label: str
    total: int = 0
    seen: int = 0
    rewrapped: int = 0
    current: int = 0
    empty: int = 0
    unreadable: int = 0
    retried: int = 0

    def line(self) -> str:
        done = min(self.seen, self.total) if self.total else 0
        filled = round(BAR_WIDTH * done / self.total) if self.total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        extra = f", {self.unreadable} unreadable" if self.unreadable else ""
        extra += f", {self.retried} changed meanwhile and read again" if self.retried else ""
        return (
            f"{self.label:<40} [{bar}] {done}/{self.total}  "
            f"re-wrapped {self.rewrapped}, already current {self.current}{extra}"
        )


class Rotation:
    """The walk itself, separate from the command so tests can interrupt it.

    ``after_batch(progress)`` runs after every batch (the command passes its own
    hook; a test raises KeyboardInterrupt there to stop half-way).
    """

    def __init__(
        self,
        *,
        batch_size: int,
        write: Callable[[str], None],
        ring: KeyRing | None = None,
        after_batch: Callable[[Progress], None] | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.write = write
        self.ring = ring or current_key_ring()
        self.after_batch = after_batch
        self.results: list[Progress] = []

    def run(self) -> list[Progress]:
        for sealed in sealed_fields():
            if sealed.is_file:
                raise CommandError(f"{sealed.model}.{sealed.field}: file-backed sealed fields are not supported.")
            self._rotate_column(sealed)
        if apps.is_installed("allauth.mfa"):
            self._rotate_mfa()
        return self.results

    # --- Registered BinaryField columns -------------------------------------------------

    def _rotate_column(self, sealed: SealedField) -> None:
        model = sealed.model_class
        manager = model._base_manager
        field = sealed.field
        progress = Progress(label=f"{sealed.model}.{field}", total=manager.count())
        self.results.append(progress)
        head = Substr(F(field), 1, HEAD_BYTES, output_field=BinaryField())
        last_pk = None
        while True:
            rows = manager.order_by("pk").defer(field).annotate(_sealed_head=head)
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows[: self.batch_size])
            if not batch:
                break
            for row in batch:
                progress.seen += 1
                self._rotate_row(model, sealed, row, row._sealed_head, progress)
            last_pk = batch[-1].pk
            self._report(progress)
        if not progress.total:
            self._report(progress)

    def _rotate_row(self, model, sealed: SealedField, row, head, progress: Progress) -> None:
        manager = model._base_manager
        field = sealed.field
        for attempt in range(RETRIES):
            if attempt:
                progress.retried += 1
                head = (
                    manager.filter(pk=row.pk)
                    .annotate(_h=Substr(F(field), 1, HEAD_BYTES, output_field=BinaryField()))
                    .values_list("_h", flat=True)
                    .first()
                )
            head = bytes(head) if head is not None else b""
            if not head:
                progress.empty += 1
                return
            try:
                if sealed_key_id(head) == self.ring.newest_id:
                    progress.current += 1
                    return
            except SealedDataError:
                progress.unreadable += 1
                return
            blob = manager.filter(pk=row.pk).values_list(field, flat=True).first()
            if blob is None:
                return  # the row is gone
            blob = bytes(blob)
            if blob[:HEAD_BYTES] != head:
                continue  # changed since the header was read: read it again
            try:
                fresh = rewrap(blob, context=sealed.context(row), ring=self.ring)
            except SealedDataError:
                progress.unreadable += 1
                return
            still_same = Exact(Substr(F(field), 1, HEAD_BYTES, output_field=BinaryField()), Value(head))
            if manager.filter(still_same, pk=row.pk).update(**{field: fresh}) == 1:
                progress.rewrapped += 1
                return
        progress.unreadable += 1  # kept changing under us; the next run picks it up

    # --- allauth MFA secrets ("sealed2:<base64>" strings in Authenticator.data) ---------

    def _rotate_mfa(self) -> None:
        from allauth.mfa.models import Authenticator

        manager = Authenticator._base_manager
        progress = Progress(label="mfa.Authenticator.data", total=manager.count())
        self.results.append(progress)

        def rewrapped(text: Any, row: dict) -> tuple[Any, bool]:
            if not isinstance(text, str) or not text.startswith(PREFIX):
                return text, False
            blob = base64.b64decode(text[len(PREFIX) :])
            if sealed_key_id(blob) == self.ring.newest_id:
                return text, False
            context = authenticator_seal_context(row["user_id"], row["type"])
            fresh = rewrap(blob, context=context, ring=self.ring)
            return PREFIX + base64.b64encode(fresh).decode(), True

        last_pk = None
        while True:
            rows = manager.order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            # values(): plain rows, not model instances (whose secrets are bound on load).
            batch = list(rows.values("pk", "user_id", "type", "data")[: self.batch_size])
            if not batch:
                break
            for row in batch:
                progress.seen += 1
                self._rotate_mfa_row(manager, row, rewrapped, progress)
            last_pk = batch[-1]["pk"]
            self._report(progress)
        if not progress.total:
            self._report(progress)

    def _rotate_mfa_row(self, manager, row: dict, rewrapped, progress: Progress) -> None:
        for attempt in range(RETRIES):
            if attempt:
                progress.retried += 1
                row = manager.filter(pk=row["pk"]).values("pk", "user_id", "type", "data").first()
                if row is None:
                    return
            data = row["data"]
            if not isinstance(data, dict):
                progress.empty += 1
                return
            fresh = dict(data)
            changed = False
            try:
                for key in MFA_KEYS:
                    if key in data:
                        fresh[key], did = rewrapped(data[key], row)
                        changed |= did
                if isinstance(data.get("migrated_codes"), list):
                    codes = [rewrapped(code, row) for code in data["migrated_codes"]]
                    fresh["migrated_codes"] = [code for code, _ in codes]
                    changed |= any(did for _, did in codes)
            except (SealedDataError, ValueError):
                progress.unreadable += 1
                return
            if not changed:
                progress.current += 1
                return
            # Conditional: a TOTP use or a recovery code spent meanwhile changes data.
            if manager.filter(pk=row["pk"], data=data).update(data=fresh) == 1:
                progress.rewrapped += 1
                return
        progress.unreadable += 1

    def _report(self, progress: Progress) -> None:
        self.write(progress.line())
        if self.after_batch is not None:
            self.after_batch(progress)


class Command(BaseCommand):
    help = "Re-wrap every sealed object (lab files, messages, attachments, MFA secrets) under the newest key."

    # Called after each batch with its Progress; tests use it to interrupt a run.
    after_batch: Callable[[Progress], None] | None = None

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="Rows per batch (default 200).")

    def handle(self, *args, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = current_key_ring()
        self.stdout.write(
            f"Re-wrapping sealed objects under key {ring.newest_id!r} "
            f"({len(ring.keys)} key(s) in the ring, batch size {batch_size})."
        )
        rotation = Rotation(
            batch_size=batch_size, write=self.stdout.write, ring=ring, after_batch=type(self).after_batch
        )
        try:
            results = rotation.run()
        except KeyboardInterrupt:
            done = sum(progress.rewrapped for progress in rotation.results)
            raise CommandError(
                f"Interrupted after re-wrapping {done} object(s). Run the command again to continue: "
                "objects already under the newest key are skipped."
            ) from None
        rewrapped = sum(progress.rewrapped for progress in results)
        current = sum(progress.current for progress in results)
        unreadable = sum(progress.unreadable for progress in results)
        summary = f"Done: {rewrapped} re-wrapped, {current} already current, {unreadable} unreadable."
        if unreadable:
            # Damaged or under a key that is no longer in the ring: keep the old keys.
            self.stdout.write(self.style.WARNING(summary + " Keep the old keys in the ring until these are resolved."))
        else:
            self.stdout.write(self.style.SUCCESS(summary + " Old keys may now be removed from the ring."))
