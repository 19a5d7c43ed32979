"""Standard Webhooks signatures and the callback payload."""

from __future__ import annotations

import base64
import time
import uuid

import msgspec
import pytest
from click.testing import CliRunner
from standardwebhooks import Webhook, WebhookVerificationError

from ghosthands.callbacks.payload import build_payload, encode_payload
from ghosthands.callbacks.sender import backoff_seconds
from ghosthands.cli import main
from ghosthands.config import load_settings
from ghosthands.signatures import generate_secret, secret_key, webhook_headers


def test_signature_verifies_with_the_reference_library() -> None:
    secret = generate_secret()
    body = b'{"job_id":"x","status":"completed"}'
    headers = webhook_headers(secret_key(secret), "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"job_id": "x", "status": "completed"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_no_key_means_no_signature_header() -> None:
    headers = webhook_headers(None, "msg_1", 1, b"{}")
    assert headers == {"webhook-id": "msg_1", "webhook-timestamp": "1"}


def test_generated_secret_is_accepted_by_settings_and_the_cli_prints_one() -> None:
    result = CliRunner().invoke(main, ["keys", "generate", "--webhook"])
    assert result.exit_code == 0
    secret = result.output.strip()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert load_settings({"GH_WEBHOOK_SECRET": secret}).webhook_secret == secret
    assert CliRunner().invoke(main, ["keys", "generate", "--webhook"]).output.strip() != secret
    plain = CliRunner().invoke(main, ["keys", "generate"])
    assert plain.exit_code == 0
    assert not plain.output.startswith("whsec_")  # an encryption key, not a webhook secret


def test_payload_from_a_snapshot() -> None:
    job_id = uuid.uuid4()
    snapshot = {
        "job_id": str(job_id),
        "status": "failed",
        "valet_task_id": "vt",
        "result_data": None,
        "result_summary": None,
        "screenshot_urls": ["/a", "/b"],
        "error_code": "timeout",
        "error_details": {"message": "too slow"},
        "status_message": "too slow",
        "llm_cost_cents": 12.5,
        "action_count": 4,
        "total_tokens": 900,
        "completed_at": "2026-01-02T03:04:05.123456+00:00",
        "interaction_type": None,
        "interaction_data": None,
    }
    payload = build_payload("failed", snapshot)
    body = msgspec.json.decode(encode_payload(payload))
    assert body["job_id"] == str(job_id) and body["event"] == "failed"
    assert body["screenshot_url"] == "/b"
    assert body["error_message"] == "too slow"
    assert body["cost"] == {"total_cost_usd": 0.125, "action_count": 4, "total_tokens": 900}
    assert body["completed_at"].startswith("2026-01-02T03:04:05.123456")
    assert encode_payload(build_payload("failed", snapshot)) == encode_payload(payload)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(5, n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff_seconds(5, 30) == 3600
