"""What ``ghosthands serve`` and ``ghosthands work`` print: one JSON object per line,
with its context, and never a secret, a credential, resume content or an Authorization
header — through real requests, a real human-in-the-loop resume with a password, a
signed callback carrying the service key, and a browser application with a profile."""

from __future__ import annotations

import base64
import json
import secrets
import signal
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ghosthands.crypto import generate_key
from tests.api.conftest import make_token
from tests.api.test_valet import apply_body, profile
from tests.support import GhProcess, free_port, wait_until
from tests.worker.helpers import Receiver, Site, insert_job, job, status_of

PREFIX = "/api/v1/gh"


def with_password(dsn: str, password: str) -> str:
    """The test cluster trusts local connections: the password is carried, not checked."""
    parts = urlsplit(dsn)
    netloc = f"{parts.username or 'postgres'}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_logs_are_json_with_context_and_never_hold_secrets(
    gh_process: Callable[..., GhProcess],
    database_url: str,
    plugin_path: str,
    site: Site,
    receiver: Receiver,
) -> None:
    marker = secrets.token_hex(6)
    secret = {
        "service key": f"svc-{marker}-service-key",
        "jwt secret": f"jwt-{marker}-0123456789abcdef0123456789",
        "db password": f"pg-{marker}-password",
        "encryption key": generate_key(),
        "webhook secret": "whsec_" + base64.b64encode(f"hook-{marker}-secret!".encode()).decode(),
        "llm key": f"sk-{marker}-openai-key",
        "anthropic key": f"sk-ant-{marker}-key",
    }
    password = f"correct-horse-{marker}"
    resume_text = f"resume-{marker}-Analytical-Engine-notes"
    qa_answer = f"qa-{marker}-because engines"
    dsn = with_password(database_url, secret["db password"])
    env = {
        "DATABASE_URL": dsn,
        "GH_SERVICE_SECRET": secret["service key"],
        "SUPABASE_JWT_SECRET": secret["jwt secret"],
        "GH_ENCRYPTION_KEY": secret["encryption key"],
        "GH_WEBHOOK_SECRET": secret["webhook secret"],
        "OPENAI_API_KEY": secret["llm key"],
        "ANTHROPIC_API_KEY": secret["anthropic key"],
        "GH_LOG_LEVEL": "debug",  # the most talkative setting
        "GH_ALLOW_PRIVATE_NETWORKS": "true",  # the site and receiver are local
    }
    port = free_port()
    api = gh_process("serve", GH_API_PORT=str(port), **env)
    api.wait_event("role_ready")
    worker = gh_process(
        "work",
        GH_WORKER_PORT="0",
        GH_POLL_SECONDS="0.5",
        GH_HEARTBEAT_SECONDS="0.5",
        GH_CALLBACK_BACKOFF_SECONDS="0.2",
        PYTHONPATH=plugin_path,
        **env,
    )
    worker.wait_event("role_ready", timeout=30)
    base = f"http://127.0.0.1:{port}"
    service = httpx.Client(
        base_url=base, headers={"X-GH-Service-Key": secret["service key"]}, timeout=15
    )
    user_id = uuid.uuid4()
    token = make_token(user_id, secret=secret["jwt secret"])

    # 1. A paused job (created by VALET, so its callback carries the service key) resumed
    #    with credentials: the API encrypts the password, the worker decrypts it.
    human = insert_job(
        database_url, job_type="test_human", created_by="valet", callback_url=receiver.url
    )
    wait_until(lambda: status_of(database_url, human) == "paused", 15, "job paused")
    resumed = service.post(
        f"{PREFIX}/valet/resume/{human}",
        json={"action": "credentials", "username": "ada", "password": password},
    )
    assert resumed.status_code == 202, resumed.text
    resume_request_id = resumed.headers["x-request-id"]
    wait_until(lambda: status_of(database_url, human) == "completed", 15, "resumed job done")
    wait_until(lambda: len(receiver.accepted) >= 1, 15, "callback delivered")
    assert receiver.accepted[-1]["headers"]["x-gh-service-key"] == secret["service key"]

    # 2. An application with a profile, a resume and answers, run by the worker.
    body = apply_body(
        target_url=f"{site.url}/apply",
        profile=profile(),
        qa_answers={"Why us?": qa_answer},
        resume={"download_url": f"{site.url}/resume-{marker}.pdf"},
        callback_url=None,
        max_retries=0,
        timeout_seconds=60,
    )
    body["profile"]["work_history"][0]["description"] = resume_text
    applied = service.post(f"{PREFIX}/valet/apply", json=body)
    assert applied.status_code == 201, applied.text
    apply_id = applied.json()["job_id"]
    terminal = {"completed", "failed", "awaiting_review"}
    wait_until(lambda: status_of(database_url, apply_id) in terminal, 90, "application ran")

    # 3. A handler fails with an error quoting the worker's DSN and model key, the way a
    #    library's error may: the worker logs it and stores it on the job, redacted both
    #    times (without redaction this step prints and stores both secrets).
    leaky = insert_job(
        database_url, job_type="test_fail", input_data={"code": "leak"}, max_retries=0
    )
    wait_until(lambda: status_of(database_url, leaky) == "failed", 15, "leaky job failed")
    stored = job(database_url, leaky)
    stored_text = json.dumps([stored["status_message"], stored["error_details"]])
    assert "could not connect to" in stored_text and "[REDACTED]" in stored_text
    assert secret["db password"] not in stored_text and secret["llm key"] not in stored_text
    shown = service.get(f"{PREFIX}/jobs/{leaky}").text
    assert "[REDACTED]" in shown and secret["db password"] not in shown

    # 4. Users with good and bad tokens, and a service call with a wrong key.
    assert (
        httpx.get(f"{base}{PREFIX}/jobs", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    forged = make_token(user_id, secret="not-the-secret-but-long-enough-0123456789")
    assert (
        httpx.get(f"{base}{PREFIX}/jobs", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )
    assert (
        httpx.get(
            f"{base}{PREFIX}/jobs", headers={"X-GH-Service-Key": secret["service key"] + "x"}
        ).status_code
        == 401
    )
    assert httpx.get(f"{base}/monitoring/health").status_code == 200

    for proc in (worker, api):
        proc.send(signal.SIGTERM)
        assert proc.wait(20) == 0
    output = {"api": api.output, "worker": worker.output}

    # Nothing secret, in any form the process could have printed it.
    forbidden = {
        **secret,
        "webhook key body": secret["webhook secret"].removeprefix("whsec_"),
        "encryption key bytes (hex)": base64.b64decode(secret["encryption key"]).hex()
        if len(secret["encryption key"]) != 64
        else secret["encryption key"],
        "resume password": password,
        "resume content": resume_text,
        "answers": qa_answer,
        "user token": token,
        "forged token": forged,
        "wrong service key": secret["service key"] + "x",
    }
    for role, text in output.items():
        for what, value in forbidden.items():
            assert value not in text, f"{what} printed by {role}"
        assert "Bearer" not in text, f"an Authorization header printed by {role}"

    # Every line is one JSON object with the common fields.
    lines: dict[str, list[dict[str, Any]]] = {}
    for role, text in output.items():
        lines[role] = []
        for raw in text.splitlines():
            item = json.loads(raw)  # raises on any non-JSON line
            assert isinstance(item, dict)
            assert {"time", "level", "role", "event"} <= item.keys(), raw
            assert item["role"] == role
            lines[role].append(item)

    # The leaking error reached the log, redacted.
    assert any(
        item["event"] == "job_handler_error"
        and item.get("job_id") == str(leaky)
        and "could not connect to" in json.dumps(item)
        and "[REDACTED]" in json.dumps(item)
        for item in lines["worker"]
    ), "the leaky handler's error is logged, redacted"

    # Worker lines name the worker once it has an id; job lines name the job.
    worker_id = worker.find_event("worker_registered")["worker_id"]  # type: ignore[index]
    registered_at = next(
        i for i, item in enumerate(lines["worker"]) if item["event"] == "worker_registered"
    )
    assert all(item.get("worker_id") == worker_id for item in lines["worker"][registered_at:])
    for event in ("job_claimed", "job_started", "job_completed"):
        assert any(
            item["event"] == event and item.get("job_id") == str(human) for item in lines["worker"]
        ), event

    # Hypercorn's access lines are fields, not a preformatted string, and join the
    # request's own lines through request_id.
    access = [item for item in lines["api"] if item["event"] == "http_access"]
    resume_line = next(
        item
        for item in access
        if item["path"] == f"{PREFIX}/valet/resume/{human}" and item["method"] == "POST"
    )
    assert resume_line["status"] == 202
    assert resume_line["duration_ms"] > 0
    assert resume_line["request_id"] == resume_request_id
    assert "message" not in resume_line
    assert any(
        item.get("request_id") == resume_request_id and item["event"] != "http_access"
        for item in lines["api"]
    ), "the resume request's own log lines carry its request_id"
    assert {(item["path"], item["status"]) for item in access} >= {
        (f"{PREFIX}/jobs", 200),
        (f"{PREFIX}/jobs", 401),
        ("/monitoring/health", 200),
    }
    assert job(database_url, human)["status"] == "completed"
