"""Deploy webhook signatures: both schemes, checked against the Standard Webhooks
reference library, and every way a forged or replayed delivery must be turned away."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ghosthands.deploy.webhooks import (
    ReplayGuard,
    WebhookRejected,
    WebhookVerifier,
    legacy_signature,
    sign,
)

WHSEC = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
RAW = "a-plain-shared-secret-from-valet"


def body(**overrides: object) -> bytes:
    payload = {
        "event": "ghosthands.deploy_ready",
        "image_tag": "abc123def",
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **overrides,
    }
    return json.dumps(payload).encode()


@pytest.mark.parametrize("secret", [WHSEC, RAW])
def test_our_signature_verifies_with_the_reference_library(secret: str) -> None:
    data = body()
    headers = sign(secret, data, event="deploy_ready")
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else None
    library = Webhook(key if key is not None else secret.encode())
    assert library.verify(data, headers)["image_tag"] == "abc123def"
    if secret.startswith("whsec_"):
        assert Webhook(secret).verify(data, headers)["event"] == "ghosthands.deploy_ready"
    with pytest.raises(WebhookVerificationError):
        library.verify(data + b" ", headers)


@pytest.mark.parametrize("secret", [WHSEC, RAW])
def test_the_reference_librarys_signature_verifies_with_ours(secret: str) -> None:
    data = body()
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    now = dt.datetime.now(dt.UTC)
    headers = {
        "webhook-id": "msg_library_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(key).sign("msg_library_1", now, data.decode()),
    }
    assert WebhookVerifier(secret).verify(data, headers) == "standard"


def test_legacy_header_is_what_valets_handler_computes() -> None:
    data = body()
    # The seed's VALET handler: 'sha256=' + createHmac('sha256', SECRET).update(body).hex
    expected = "sha256=" + hmac.new(WHSEC.encode(), data, hashlib.sha256).hexdigest()
    headers = sign(WHSEC, data, event="deploy_ready")
    assert headers["X-GH-Webhook-Signature"] == expected == legacy_signature(WHSEC, data)
    assert headers["X-GH-Event"] == "deploy_ready"
    legacy_only = {"X-GH-Webhook-Signature": expected}
    assert WebhookVerifier(WHSEC).verify(data, legacy_only) == "legacy"


def _rejected(verifier: WebhookVerifier, data: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookRejected) as info:
        verifier.verify(data, headers)
    return info.value.reason


@pytest.mark.parametrize("scheme", ["standard", "legacy", "both"])
def test_tampered_body_and_wrong_secret_are_rejected(scheme: str) -> None:
    data = body()
    signed = sign(WHSEC, data, event="deploy_ready")
    standard = {k: v for k, v in signed.items() if k.startswith("webhook-")}
    legacy = {"X-GH-Webhook-Signature": signed["X-GH-Webhook-Signature"]}
    headers = {"standard": standard, "legacy": legacy, "both": signed}[scheme]
    tampered = data.replace(b"abc123def", b"evil12345")
    assert _rejected(WebhookVerifier(WHSEC), tampered, headers) == "bad_signature"
    other = "whsec_" + base64.b64encode(b"another-secret-another-secret-32").decode()
    assert _rejected(WebhookVerifier(other), data, headers) == "bad_signature"
    assert _rejected(WebhookVerifier(RAW), data, headers) == "bad_signature"


def test_a_valid_standard_signature_cannot_carry_a_forged_legacy_one() -> None:
    data = body()
    headers = sign(WHSEC, data, event="deploy_ready")
    headers["X-GH-Webhook-Signature"] = "sha256=" + "0" * 64
    assert _rejected(WebhookVerifier(WHSEC), data, headers) == "bad_signature"


def test_stale_timestamps_are_rejected_in_both_schemes() -> None:
    verifier = WebhookVerifier(WHSEC)
    data = body()
    old = int(time.time()) - 301
    assert _rejected(verifier, data, sign(WHSEC, data, event="x", timestamp=old)) == "stale"
    future = int(time.time()) + 301
    assert _rejected(verifier, data, sign(WHSEC, data, event="x", timestamp=future)) == "stale"
    old_body = body(timestamp="2020-01-01T00:00:00Z")
    legacy = {"X-GH-Webhook-Signature": legacy_signature(WHSEC, old_body)}
    assert _rejected(verifier, old_body, legacy) == "stale"
    # A fresh delivery still passes the same verifier.
    assert verifier.verify(data, sign(WHSEC, data, event="x")) == "standard"


def test_replayed_ids_are_rejected_even_after_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    seen = tmp_path / "seen.jsonl"
    data = body()
    headers = sign(WHSEC, data, event="deploy_ready")
    verifier = WebhookVerifier(WHSEC, replay=ReplayGuard(seen))
    assert verifier.verify(data, headers) == "standard"
    assert _rejected(verifier, data, headers) == "replayed"
    # Re-signed with the same id and a new timestamp: still the same delivery.
    again = sign(WHSEC, data, event="deploy_ready", msg_id=headers["webhook-id"])
    assert _rejected(verifier, data, again) == "replayed"
    restarted = WebhookVerifier(WHSEC, replay=ReplayGuard(seen))
    assert _rejected(restarted, data, headers) == "replayed"
    legacy = {"X-GH-Webhook-Signature": legacy_signature(WHSEC, data)}
    assert restarted.verify(data, legacy) == "legacy"
    assert _rejected(restarted, data, legacy) == "replayed"


def test_unsigned_and_malformed_deliveries_are_rejected() -> None:
    verifier = WebhookVerifier(WHSEC)
    data = body()
    assert _rejected(verifier, data, {}) == "missing_signature"
    headers = sign(WHSEC, data, event="x")
    del headers["webhook-id"]
    assert _rejected(verifier, data, headers) == "bad_headers"
