"""AES-256-GCM encryption of credentials and saved sessions, in a versioned envelope.

Envelope (bytes)::

    b"gh1" | key_id (8 bytes) | nonce (12 bytes) | ciphertext+tag

``key_id`` is the first 8 bytes of SHA-256 of the key, so a blob names the key that can
open it and rotation needs no extra bookkeeping. The header (version and key id) is
bound as associated data together with the caller's context (for example
``b"credential:<user_id>:<domain>:password"``), so a blob cannot be replayed into
another row or field, and a changed header is detected.

``GH_ENCRYPTION_KEY`` may list several keys separated by commas: the first encrypts,
all of them decrypt (rotation: put the new key first, run ``ghosthands keys rotate``,
then drop the old one).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"gh1"
_KEY_ID_LEN = 8
_NONCE_LEN = 12
_HEADER_LEN = len(VERSION) + _KEY_ID_LEN


class DecryptionError(Exception):
    """The blob is malformed, was tampered with, or no configured key opens it."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:_KEY_ID_LEN]


def generate_key() -> str:
    """A new 32-byte key, base64-encoded (the form ``GH_ENCRYPTION_KEY`` takes)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


class KeyRing:
    """The configured keys: the first encrypts, every one can decrypt."""

    def __init__(self, keys: tuple[bytes, ...] | list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        for key in keys:
            if len(key) != 32:
                raise ValueError("encryption keys must be 32 bytes")
        self._primary = keys[0]
        self._by_id = {key_id(k): AESGCM(k) for k in keys}
        self.primary_id = key_id(self._primary).hex()

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        header = VERSION + key_id(self._primary)
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._by_id[key_id(self._primary)].encrypt(nonce, plaintext, header + context)
        return header + nonce + sealed

    def decrypt(self, blob: bytes, context: bytes) -> bytes:
        if len(blob) < _HEADER_LEN + _NONCE_LEN + 16 or not blob.startswith(VERSION):
            raise DecryptionError("not a GhostHands encrypted value (or an unknown version)")
        header = blob[:_HEADER_LEN]
        aead = self._by_id.get(header[len(VERSION) :])
        if aead is None:
            raise DecryptionError("encrypted with a key that is not configured")
        nonce = blob[_HEADER_LEN : _HEADER_LEN + _NONCE_LEN]
        try:
            return aead.decrypt(nonce, blob[_HEADER_LEN + _NONCE_LEN :], header + context)
        except InvalidTag:
            raise DecryptionError("integrity check failed (tampered, or wrong context)") from None

    def blob_key_id(self, blob: bytes) -> str:
        """The hex id of the key a blob was sealed with."""
        return blob[len(VERSION) : _HEADER_LEN].hex()

    def needs_rotation(self, blob: bytes) -> bool:
        return self.blob_key_id(blob) != self.primary_id

    def reencrypt(self, blob: bytes, context: bytes) -> bytes:
        """Open with whichever key sealed it, seal again with the primary key."""
        return self.encrypt(self.decrypt(blob, context), context)

    def encrypt_text(self, text: str, context: str) -> bytes:
        return self.encrypt(text.encode(), context.encode())

    def decrypt_text(self, blob: bytes, context: str) -> str:
        return self.decrypt(blob, context.encode()).decode()


def resume_password_context(job_id: object) -> str:
    """Associated data binding a password given through /valet/resume to its job."""
    return f"resume:{job_id}:password"


def open_resume_password(ring: KeyRing | None, job_id: object, sealed_b64: str) -> str:
    """The password a person gave through /valet/resume, sealed by the API."""
    if ring is None:
        raise DecryptionError("a password was given but GH_ENCRYPTION_KEY is not set here")
    try:
        sealed = base64.b64decode(sealed_b64, validate=True)
    except ValueError:
        raise DecryptionError("the sealed password is not base64") from None
    return ring.decrypt_text(sealed, resume_password_context(job_id))
