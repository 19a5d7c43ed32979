"""Fleet rollout across three local hosts (own directories, ports and releases), and the
webhook receiver fed by ``ghosthands notify-deploy``: real processes end to end."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from ghosthands.deploy.webhooks import sign
from tests.deploy.hosts import Host, hosts_file
from tests.support import GhProcess, free_port, wait_until

SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def rollout(tag: str, hosts: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ghosthands", "fleet", "rollout", tag, "--hosts", str(hosts), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def host_lines(stdout: str) -> dict[str, dict[str, str]]:
    found = {}
    for line in stdout.splitlines():
        if line.startswith("FLEET_HOST="):
            fields = dict(part.split("=", 1) for part in line.split())
            found[fields["FLEET_HOST"]] = fields
    return found


def test_rollout_halts_at_a_broken_host_which_rolls_back(
    make_host: Callable[..., Host], broken_v2_wheelhouse: Path, tmp_path: Path
) -> None:
    one, two, three = (
        make_host("host-1"),
        make_host("host-2", wheels=broken_v2_wheelhouse),
        make_host("host-3"),
    )
    inventory = hosts_file(tmp_path / "hosts.toml", [one, two, three])

    first = rollout("1.0.0", inventory, "--parallel", "3")  # all three at once
    assert first.returncode == 0, first.stdout + first.stderr
    assert "FLEET_STATUS=success" in first.stdout.splitlines()
    assert all((h.health() or {}).get("version") == "1.0.0" for h in (one, two, three))

    second = rollout("2.0.0", inventory)
    assert second.returncode != 0, second.stdout + second.stderr
    assert "FLEET_STATUS=halted" in second.stdout.splitlines()
    result = host_lines(second.stdout)
    assert result["host-1"]["STATUS"] == "success"
    assert result["host-2"]["STATUS"] == "rolled_back"
    assert result["host-2"]["PREVIOUS_TAG"] == "1.0.0"
    assert result["host-3"]["STATUS"] == "skipped"
    assert (one.health() or {}).get("version") == "2.0.0"
    assert (two.health() or {}).get("version") == "1.0.0"
    assert (three.health() or {}).get("version") == "1.0.0"
    # Host 3 was never touched by the 2.0.0 rollout.
    assert not any(r.get("tag") == "2.0.0" for r in three.audit())
    assert not (three.root / "releases" / "2.0.0").exists()
    assert "host-2" in second.stderr and "rolled_back" in second.stderr


def test_notify_deploy_reaches_the_receiver_which_rolls_out(
    make_host: Callable[..., Host], gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    host = make_host("solo")
    inventory = hosts_file(tmp_path / "hosts.toml", [host])
    port = free_port()
    receiver = gh_process(
        "fleet",
        "serve",
        "--hosts",
        str(inventory),
        "--port",
        str(port),
        "--state-dir",
        str(tmp_path / "fleet-state"),
        VALET_DEPLOY_WEBHOOK_SECRET=SECRET,
    )
    receiver.wait_event("role_ready")
    url = f"http://127.0.0.1:{port}/webhooks/deploy"

    notify = subprocess.run(
        [sys.executable, "-m", "ghosthands", "notify-deploy", "--image-tag", "1.0.0"],
        env={
            **_env_without_settings(),
            "VALET_DEPLOY_WEBHOOK_URL": url,
            "VALET_DEPLOY_WEBHOOK_SECRET": SECRET,
            "ECR_REGISTRY": "123456789.dkr.ecr.us-east-1.amazonaws.com",
            "ECR_REPOSITORY": "ghosthands",
            "GITHUB_SHA": "abc123def456789",
            "GITHUB_REF_NAME": "main",
            "GITHUB_REPOSITORY": "WeKruit/GHOST-HANDS",
            "GITHUB_RUN_ID": "12345678",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert notify.returncode == 0, notify.stdout + notify.stderr
    assert "NOTIFY_STATUS=accepted" in notify.stdout.splitlines()
    image = "123456789.dkr.ecr.us-east-1.amazonaws.com/ghosthands:1.0.0"
    assert f"NOTIFY_IMAGE={image}" in notify.stdout.splitlines()

    def finished() -> dict[str, object] | None:
        view = httpx.get(f"http://127.0.0.1:{port}/rollouts/latest", timeout=2).json()
        return view if view["state"] != "running" else None

    view = wait_until(finished, 120, "the rollout the webhook started to finish")
    assert view["tag"] == "1.0.0" and view["state"] == "success", view
    assert (host.health() or {}).get("version") == "1.0.0"

    # A delivery sent twice starts one rollout; a forged one starts nothing.
    payload = b'{"event":"ghosthands.deploy_ready","image_tag":"1.0.0"}'
    signed = sign(SECRET, payload, event="deploy_ready")
    assert httpx.post(url, content=payload, headers=signed).status_code == 202
    replayed = httpx.post(url, content=payload, headers=signed)
    assert replayed.status_code == 409 and replayed.json()["error"] == "replayed"
    view = wait_until(finished, 120, "the re-delivered rollout to finish")
    assert view["state"] == "success", view

    bad = httpx.post(
        url,
        content=b'{"event":"ghosthands.deploy_ready","image_tag":"x"}',
        headers={"X-GH-Webhook-Signature": "sha256=" + "0" * 64},
    )
    assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"
    receiver.wait_event("fleet_webhook_rejected", timeout=10, reason="bad_signature")

    rejected = subprocess.run(
        [
            sys.executable,
            "-m",
            "ghosthands",
            "notify-deploy",
            "--image-tag",
            "1.0.0",
            "--attempts",
            "1",
        ],
        env={
            **_env_without_settings(),
            "VALET_DEPLOY_WEBHOOK_URL": url,
            "VALET_DEPLOY_WEBHOOK_SECRET": "whsec_" + "QUJD" * 8,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr
    assert "NOTIFY_STATUS=rejected" in rejected.stdout.splitlines()
    assert "401" in rejected.stderr


def _env_without_settings() -> dict[str, str]:
    from tests.support import clean_env

    env = clean_env()
    for key in [k for k in env if k.startswith(("GITHUB_", "ECR_"))]:
        del env[key]
    return env
