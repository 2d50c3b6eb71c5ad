import pytest

from portal.crypto import KeyRing, KeyRingError, SealedDataError, generate_key, needs_rewrap, open_sealed, rewrap, seal


def ring(*ids_and_keys: tuple[str, str]) -> KeyRing:
    return KeyRing.parse(",".join(f"{key_id}:{key}" for key_id, key in ids_and_keys))


@pytest.fixture
def keys():
    return {"old": generate_key(), "new": generate_key()}


def test_round_trip(keys):
    kr = ring(("old", keys["old"]))
    blob = seal(b"CSF report body", context="lab_report:1", ring=kr)
    assert b"CSF report body" not in blob
    assert open_sealed(blob, context="lab_report:1", ring=kr) == b"CSF report body"


def test_each_seal_is_different(keys):
    kr = ring(("old", keys["old"]))
    assert seal(b"same", context="c", ring=kr) != seal(b"same", context="c", ring=kr)


def test_wrong_context_fails(keys):
    kr = ring(("old", keys["old"]))
    blob = seal(b"secret", context="message:1", ring=kr)
    with pytest.raises(SealedDataError):
        open_sealed(blob, context="message:2", ring=kr)


@pytest.mark.parametrize("position", [3, 10, 40, 70, -1, -20])
def test_tampered_byte_fails(keys, position):
    kr = ring(("old", keys["old"]))
    blob = bytearray(seal(b"secret payload", context="message:1", ring=kr))
    blob[position] ^= 0x01
    with pytest.raises(SealedDataError):
        open_sealed(bytes(blob), context="message:1", ring=kr)


def test_truncated_blob_fails(keys):
    kr = ring(("old", keys["old"]))
    with pytest.raises(SealedDataError):
        open_sealed(seal(b"x", context="c", ring=kr)[:30], context="c", ring=kr)


def test_old_key_still_opens_after_new_key_added(keys):
    old_ring = ring(("old", keys["old"]))
    blob = seal(b"from last year", context="lab_report:9", ring=old_ring)
    both = ring(("new", keys["new"]), ("old", keys["old"]))
    assert open_sealed(blob, context="lab_report:9", ring=both) == b"from last year"
    assert needs_rewrap(blob, ring=both)


def test_rewrap_moves_to_newest_key_and_keeps_payload(keys):
    old_ring = ring(("old", keys["old"]))
    blob = seal(b"payload", context="message:3", ring=old_ring)
    both = ring(("new", keys["new"]), ("old", keys["old"]))
    rewrapped = rewrap(blob, context="message:3", ring=both)
    assert not needs_rewrap(rewrapped, ring=both)
    only_new = ring(("new", keys["new"]))
    assert open_sealed(rewrapped, context="message:3", ring=only_new) == b"payload"
    with pytest.raises(SealedDataError):
        open_sealed(blob, context="message:3", ring=only_new)


def test_unknown_key_id_fails(keys):
    blob = seal(b"x", context="c", ring=ring(("old", keys["old"])))
    with pytest.raises(SealedDataError):
        open_sealed(blob, context="c", ring=ring(("new", keys["new"])))


@pytest.mark.parametrize("text", ["", "nokey", "k:short", "k:!!!notbase64!!!", "a:{k},a:{k}"])
def test_malformed_key_ring_is_refused(text):
    key = generate_key()
    with pytest.raises(KeyRingError):
        KeyRing.parse(text.format(k=key))
