"""The encryption envelope: tampering, wrong keys and wrong contexts all fail."""

from __future__ import annotations

import os

import pytest

from ghosthands.crypto import DecryptionError, KeyRing

CTX = b"credential:user-1:example.com:password"


def test_round_trip_and_fresh_nonce() -> None:
    ring = KeyRing([os.urandom(32)])
    a = ring.encrypt(b"hunter2", CTX)
    b = ring.encrypt(b"hunter2", CTX)
    assert a != b
    assert b"hunter2" not in a
    assert ring.decrypt(a, CTX) == b"hunter2"


@pytest.mark.parametrize("position", [0, 4, 12, 20, -1])
def test_any_flipped_byte_fails(position: int) -> None:
    ring = KeyRing([os.urandom(32)])
    blob = bytearray(ring.encrypt(b"secret", CTX))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        ring.decrypt(bytes(blob), CTX)


def test_wrong_key_and_wrong_context_fail() -> None:
    blob = KeyRing([os.urandom(32)]).encrypt(b"secret", CTX)
    with pytest.raises(DecryptionError, match="not configured"):
        KeyRing([os.urandom(32)]).decrypt(blob, CTX)
    ring = KeyRing([os.urandom(32)])
    blob = ring.encrypt(b"secret", CTX)
    with pytest.raises(DecryptionError, match="integrity"):
        ring.decrypt(blob, b"credential:user-2:example.com:password")


def test_rotation_keeps_old_blobs_readable_and_moves_them() -> None:
    old, new = os.urandom(32), os.urandom(32)
    blob = KeyRing([old]).encrypt(b"secret", CTX)
    ring = KeyRing([new, old])
    assert ring.needs_rotation(blob)
    assert ring.decrypt(blob, CTX) == b"secret"
    rotated = ring.reencrypt(blob, CTX)
    assert not ring.needs_rotation(rotated)
    assert KeyRing([new]).decrypt(rotated, CTX) == b"secret"
    with pytest.raises(DecryptionError):
        KeyRing([old]).decrypt(rotated, CTX)


def test_garbage_is_refused() -> None:
    ring = KeyRing([os.urandom(32)])
    for blob in (b"", b"gh1", b"xx1" + os.urandom(40)):
        with pytest.raises(DecryptionError):
            ring.decrypt(blob, CTX)
