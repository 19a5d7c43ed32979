"""The CI side of a deploy: tell VALET a new image is ready (``deploy_ready``).

The payload is the seed's (section 4.3), built from GitHub Actions' variables unless
given explicitly. It is sent signed in both schemes (see :mod:`webhooks`), retried on
network errors, 5xx and 429 with backoff under one delivery id, and the result says
whether VALET accepted it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Mapping

import httpx
import msgspec

from ghosthands.deploy.webhooks import sign
from ghosthands.logs import get_logger

log = get_logger(__name__)

EVENT = "ghosthands.deploy_ready"


class DeployReady(msgspec.Struct):
    event: str
    image: str
    image_tag: str
    image_latest: str
    commit_sha: str
    commit_message: str
    branch: str
    repository: str
    run_id: str
    run_url: str
    timestamp: str


def _git_message() -> str:
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%s"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build_payload(
    image_tag: str,
    env: Mapping[str, str],
    *,
    image_repository: str | None = None,
    commit_sha: str | None = None,
    commit_message: str | None = None,
    branch: str | None = None,
    repository: str | None = None,
    run_id: str | None = None,
    run_url: str | None = None,
) -> DeployReady:
    """``deploy_ready`` from explicit values, else GitHub Actions' variables."""
    if image_repository is None:
        registry = env.get("ECR_REGISTRY", "").rstrip("/")
        name = env.get("ECR_REPOSITORY", "") or "ghosthands"
        image_repository = f"{registry}/{name}" if registry else name
    repository = repository or env.get("GITHUB_REPOSITORY", "")
    run_id = run_id or env.get("GITHUB_RUN_ID", "")
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    if run_url is None:
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else ""
    return DeployReady(
        event=EVENT,
        image=f"{image_repository}:{image_tag}",
        image_tag=image_tag,
        image_latest=f"{image_repository}:latest",
        commit_sha=commit_sha or env.get("GITHUB_SHA", "") or image_tag,
        commit_message=commit_message if commit_message is not None else _git_message(),
        branch=branch or env.get("GITHUB_REF_NAME", ""),
        repository=repository,
        run_id=run_id,
        run_url=run_url,
        timestamp=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


class Delivery(msgspec.Struct):
    accepted: bool
    attempts: int
    status_code: int | None
    detail: str


def deliver(
    url: str,
    secret: str,
    payload: DeployReady,
    *,
    attempts: int = 5,
    backoff: float = 1.0,
    timeout: float = 10.0,
) -> Delivery:
    """POST the signed payload; retry what may succeed later. Never raises on HTTP errors."""
    body = msgspec.json.encode(payload)
    msg_id = None
    detail = "not sent"
    status: int | None = None
    with httpx.Client(timeout=timeout) as client:
        for attempt in range(1, attempts + 1):
            headers = sign(secret, body, event="deploy_ready", msg_id=msg_id)
            msg_id = headers["webhook-id"]  # the same delivery id on every retry
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                status, detail = None, f"{type(exc).__name__}: {exc or 'no answer'}"
            else:
                status = response.status_code
                detail = f"answered {status}: {response.text[:200]}"
                if 200 <= status < 300:
                    return Delivery(True, attempt, status, detail)
                if status == 409 and attempt > 1 and "replayed" in response.text:
                    # An earlier attempt got through; only its answer was lost.
                    return Delivery(True, attempt, status, "accepted by an earlier attempt")
                if status < 500 and status != 429:
                    return Delivery(False, attempt, status, detail)
            log.warning("notify_deploy_retry", attempt=attempt, detail=detail)
            if attempt < attempts:
                time.sleep(backoff * 2 ** (attempt - 1))
    return Delivery(False, attempts, status, detail)
