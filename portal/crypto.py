"""Encryption at rest: one key ring, envelope AES-256-GCM.

Every sealed object gets a random 256-bit data key. The payload is encrypted with
the data key; the data key is wrapped by the newest ring key. Both layers bind the
object's *context* (kind and id, e.g. ``"lab_report:42"``) as associated data, so a
ciphertext copied to another row fails to open. Tampering raises ``SealedDataError``,
never returns garbage.

Blob layout (all lengths fixed except the key id)::

    b"AC1" | len(key_id):1 | key_id | wrap_nonce:12 | wrapped_key:48 | nonce:12 | ciphertext+tag

Re-wrapping under a new ring key touches only the header: the payload is not
re-encrypted, so rotating the key over large lab files is cheap.

Views never import ``cryptography``: they call ``seal``, ``open_sealed`` and
``rewrap`` here.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"AC1"
NONCE_BYTES = 12
KEY_BYTES = 32
WRAPPED_KEY_BYTES = KEY_BYTES + 16


class SealedDataError(Exception):
    """A sealed blob could not be opened: tampered, wrong context or unknown key.

    The message never contains plaintext or key material.
    """


class KeyRingError(Exception):
    """The configured key ring is malformed."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]  # (key id, 32-byte key), newest first

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        keys: list[tuple[str, bytes]] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id or len(key_id.encode()) > 255:
                raise KeyRingError("each key must look like 'key-id:urlsafe-base64-32-bytes'")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError as exc:
                raise KeyRingError(f"key {key_id!r} is not valid urlsafe base64") from exc
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must decode to 32 bytes")
            if any(existing == key_id for existing, _ in keys):
                raise KeyRingError(f"key id {key_id!r} appears twice")
            keys.append((key_id, key))
        if not keys:
            raise KeyRingError("the key ring is empty")
        return cls(tuple(keys))

    @property
    def newest_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        for candidate, key in self.keys:
            if candidate == key_id:
                return key
        raise SealedDataError("sealed with a key that is not in the key ring")


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def development_key_ring(path: Path) -> str:
    """The development key ring, generated on first use and kept in ``var/``."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ring = f"dev-{secrets.token_hex(4)}:{generate_key()}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(ring)
        print(
            f"Aftercare: generated a development encryption key in {path} "
            "(set AFTERCARE_ENCRYPTION_KEYS in production).",
            flush=True,
        )
    return path.read_text().strip()


@lru_cache(maxsize=8)
def _ring_from_text(text: str) -> KeyRing:
    return KeyRing.parse(text)


def current_key_ring() -> KeyRing:
    from django.conf import settings

    return _ring_from_text(settings.AFTERCARE_ENCRYPTION_KEYS)


def _aad(context: str, key_id: str) -> bytes:
    return f"{context}\x00{key_id}".encode()


def seal(plaintext: bytes, *, context: str, ring: KeyRing | None = None) -> bytearray:
    ring = ring or current_key_ring()
    key_id = ring.newest_id
    data_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(ring.key(key_id)).encrypt(wrap_nonce, data_key, _aad(context, key_id))
    nonce = os.urandom(NONCE_BYTES)
    id_bytes = key_id.encode()
    header = b"".join((MAGIC, bytes([len(id_bytes)]), id_bytes, wrap_nonce, wrapped, nonce))
    # One buffer, encrypted in place: a second multi-megabyte allocation (ciphertext,
    # then the joined blob) costs more than AES-GCM itself (bench/crypto.py).
    blob = bytearray(len(header) + len(plaintext) + 16)
    blob[: len(header)] = header
    AESGCM(data_key).encrypt_into(nonce, plaintext, context.encode(), memoryview(blob)[len(header) :])
    return blob


def _parse(blob: bytes) -> tuple[str, bytes, bytes, bytes, memoryview]:
    view = memoryview(blob)
    if len(blob) < len(MAGIC) + 1 or bytes(view[:3]) != MAGIC:
        raise SealedDataError("not a sealed Aftercare object")
    id_len = view[3]
    offset = 4 + id_len
    header_end = offset + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES
    if len(blob) < header_end + 16:
        raise SealedDataError("sealed object is truncated")
    try:
        key_id = bytes(view[4:offset]).decode()
    except UnicodeDecodeError as exc:
        raise SealedDataError("sealed object header is damaged") from exc
    wrap_nonce = bytes(view[offset : offset + NONCE_BYTES])
    wrapped = bytes(view[offset + NONCE_BYTES : offset + NONCE_BYTES + WRAPPED_KEY_BYTES])
    nonce = bytes(view[header_end - NONCE_BYTES : header_end])
    return key_id, wrap_nonce, wrapped, nonce, view[header_end:]


def _unwrap(ring: KeyRing, key_id: str, wrap_nonce: bytes, wrapped: bytes, context: str) -> bytes:
    try:
        return AESGCM(ring.key(key_id)).decrypt(wrap_nonce, wrapped, _aad(context, key_id))
    except InvalidTag as exc:
        raise SealedDataError("sealed object failed its integrity check") from exc


def open_sealed(blob: bytes, *, context: str, ring: KeyRing | None = None) -> bytes:
    ring = ring or current_key_ring()
    # No copies of the blob: the payload is decrypted straight from a view of it.
    key_id, wrap_nonce, wrapped, nonce, body = _parse(blob)
    data_key = _unwrap(ring, key_id, wrap_nonce, wrapped, context)
    try:
        return AESGCM(data_key).decrypt(nonce, body, context.encode())
    except InvalidTag as exc:
        raise SealedDataError("sealed object failed its integrity check") from exc


def sealed_key_id(blob: bytes) -> str:
    return _parse(bytes(blob))[0]


def needs_rewrap(blob: bytes, *, ring: KeyRing | None = None) -> bool:
    ring = ring or current_key_ring()
    return sealed_key_id(blob) != ring.newest_id


def rewrap(blob: bytes, *, context: str, ring: KeyRing | None = None) -> bytes:
    """The same object with its data key wrapped by the newest ring key.

    The payload is untouched; the data key is unwrapped with the old key (which
    verifies the context) and wrapped again, so a rewrapped blob opens exactly as
    before.
    """
    ring = ring or current_key_ring()
    blob = bytes(blob)
    key_id, wrap_nonce, wrapped, nonce, body = _parse(blob)
    if key_id == ring.newest_id:
        return blob
    data_key = _unwrap(ring, key_id, wrap_nonce, wrapped, context)
    new_id = ring.newest_id
    new_wrap_nonce = os.urandom(NONCE_BYTES)
    new_wrapped = AESGCM(ring.key(new_id)).encrypt(new_wrap_nonce, data_key, _aad(context, new_id))
    id_bytes = new_id.encode()
    return b"".join((MAGIC, bytes([len(id_bytes)]), id_bytes, new_wrap_nonce, new_wrapped, nonce, bytes(body)))


def seal_text(text: str, *, context: str) -> bytes:
    return seal(text.encode("utf-8"), context=context)


def open_sealed_text(blob: bytes, *, context: str) -> str:
    return open_sealed(blob, context=context).decode("utf-8")
