"""Standard Webhooks signatures (https://www.standardwebhooks.com/), the one signer.

``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed by the
bytes after ``whsec_`` in the secret. Used by job callbacks (``GH_WEBHOOK_SECRET``;
``webhook-id`` is the outbox row id, the same on every retry, so receivers deduplicate
on it) and by deploy webhooks (``ghosthands.deploy.webhooks``) alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def generate_secret(nbytes: int = 32) -> str:
    """A fresh ``whsec_<base64>`` secret."""
    return PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the bytes after ``whsec_``, or a plain secret's own bytes.

    Raises ValueError when the part after ``whsec_`` is not base64."""
    if not secret.startswith(PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ is not base64") from None


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery attempt."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(key: bytes | None, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """``webhook-id`` / ``webhook-timestamp`` always; ``webhook-signature`` with a key."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        headers["webhook-signature"] = sign(key, msg_id, timestamp, body)
    return headers


def user_key(key: bytes, user_id: object) -> bytes:
    """The key that signs callbacks of jobs a user created: derived from the service's
    key and the user's id, so no user can obtain a signature VALET's key verifies."""
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).digest()


def user_secret(secret: str, user_id: object) -> str:
    """A user's callback secret in ``whsec_`` form (``ghosthands keys user-secret``)."""
    return PREFIX + base64.b64encode(user_key(secret_key(secret), user_id)).decode()
