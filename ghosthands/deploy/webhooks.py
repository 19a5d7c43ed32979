"""Signing and verifying deploy webhooks, in both schemes VALET may speak.

- Legacy (what VALET's handler checks today): ``X-GH-Webhook-Signature: sha256=<hex>``,
  the HMAC-SHA256 of the raw body keyed by the secret string's UTF-8 bytes (exactly
  ``crypto.createHmac('sha256', secret).update(body)`` in the seed), plus
  ``X-GH-Event``.
- Standard Webhooks: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature:
  v1,<base64 HMAC-SHA256 of "id.timestamp.body">``. The key is the base64-decoded part
  after ``whsec_`` when the secret has that prefix, else the secret's raw bytes (what the
  reference library does with a ``bytes`` secret).

Verification compares in constant time, rejects timestamps outside a tolerance and ids
seen before. The legacy scheme carries no id or timestamp in headers, so it is given
the payload's own ``timestamp`` field and the body's SHA-256 as its id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import msgspec

from ghosthands import signatures

LEGACY_HEADER = "X-GH-Webhook-Signature"
EVENT_HEADER = "X-GH-Event"
TOLERANCE_SECONDS = 300.0


class WebhookRejected(Exception):
    """The request is not an authentic, fresh, first delivery. ``reason`` is a code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # bad_signature | missing_signature | stale | replayed | bad_headers


def legacy_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign(
    secret: str,
    body: bytes,
    *,
    event: str,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Every header of a signed delivery, both schemes."""
    msg_id = msg_id or f"msg_{secrets.token_hex(16)}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        LEGACY_HEADER: legacy_signature(secret, body),
        EVENT_HEADER: event,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures.sign(
            signatures.secret_key(secret), msg_id, timestamp, body
        ),
    }


class ReplayGuard:
    """Ids seen within the tolerance window; kept in a file when given one, so a restart
    of the receiver does not reopen the window."""

    def __init__(self, path: Path | None = None, window: float = 2 * TOLERANCE_SECONDS) -> None:
        self.path = path
        self.window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            now = time.time()
            for line in path.read_bytes().splitlines():
                try:
                    item = msgspec.json.decode(line)
                    if now - float(item["at"]) < window:
                        self._seen[str(item["id"])] = float(item["at"])
                except (msgspec.DecodeError, KeyError, TypeError, ValueError):
                    continue
            self._rewrite()

    def _rewrite(self) -> None:
        assert self.path is not None
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_bytes(
            b"".join(msgspec.json.encode({"id": k, "at": v}) + b"\n" for k, v in self._seen.items())
        )
        os.replace(tmp, self.path)

    def first_time(self, msg_id: str) -> bool:
        """Record ``msg_id``; False when it was seen within the window."""
        now = time.time()
        with self._lock:
            for old in [k for k, at in self._seen.items() if now - at >= self.window]:
                del self._seen[old]
            if msg_id in self._seen:
                return False
            self._seen[msg_id] = now
            if self.path is not None:
                with open(self.path, "ab") as out:
                    out.write(msgspec.json.encode({"id": msg_id, "at": now}) + b"\n")
            return True


class _Stamped(msgspec.Struct):
    timestamp: str | None = None


class WebhookVerifier:
    """Verifies deliveries signed with ``secret``; every present scheme must verify."""

    def __init__(
        self,
        secret: str,
        *,
        tolerance: float = TOLERANCE_SECONDS,
        replay: ReplayGuard | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the webhook secret is empty")
        self.secret = secret
        self.key = signatures.secret_key(secret)
        self.tolerance = tolerance
        self.replay = replay or ReplayGuard(window=2 * tolerance)

    def _fresh(self, at: float) -> None:
        skew = time.time() - at
        if abs(skew) > self.tolerance:
            word = "old" if skew > 0 else "far in the future"
            raise WebhookRejected("stale", f"timestamp is {abs(skew):.0f} s {word}")

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Return the scheme that authenticated the delivery, or raise WebhookRejected."""
        lower = {k.lower(): v for k, v in headers.items()}
        standard = lower.get("webhook-signature")
        legacy = lower.get(LEGACY_HEADER.lower())
        if not standard and not legacy:
            raise WebhookRejected("missing_signature", "no signature header")
        msg_id: str
        if standard:
            msg_id, raw_ts = lower.get("webhook-id", ""), lower.get("webhook-timestamp", "")
            if not msg_id or not raw_ts.isdigit():
                raise WebhookRejected("bad_headers", "webhook-id or webhook-timestamp missing")
            expected = signatures.sign(self.key, msg_id, int(raw_ts), body)
            offered = [s for s in standard.split() if s.startswith("v1,")]
            if not any(hmac.compare_digest(expected.encode(), s.encode()) for s in offered):
                raise WebhookRejected("bad_signature", "webhook-signature does not match")
            self._fresh(int(raw_ts))
        if legacy:
            if not hmac.compare_digest(
                legacy_signature(self.secret, body).encode(), legacy.encode()
            ):
                raise WebhookRejected("bad_signature", f"{LEGACY_HEADER} does not match")
            if not standard:
                self._fresh(_payload_time(body))
                msg_id = "sha256:" + hashlib.sha256(body).hexdigest()
        if not self.replay.first_time(msg_id):
            raise WebhookRejected("replayed", f"delivery {msg_id} was already received")
        return "standard" if standard else "legacy"


def _payload_time(body: bytes) -> float:
    try:
        stamp = msgspec.json.decode(body, type=_Stamped).timestamp
        if stamp is None:
            raise ValueError
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        raise WebhookRejected("stale", "the payload has no usable timestamp") from None
