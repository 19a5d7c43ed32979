"""``ghosthands deploy`` with the compose runtime on podman (podman-compose and the
repository's compose.yaml): v1, v2 under a request in flight, a broken v3 rolled back to
v2, and two deploys at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.containers.conftest import REPO, podman
from tests.deploy.hosts import HealthWatch, Result
from tests.support import clean_env, free_port, wait_until


class ComposeHost:
    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.api_port, self.worker_port = free_port(), free_port()
        root.mkdir()
        shutil.copy(REPO / "compose.yaml", root / "compose.yaml")
        settings = {
            "DATABASE_URL": database_url,
            "GH_SERVICE_SECRET": "compose-test-secret",
            "GH_API_PORT": str(self.api_port),
            "GH_WORKER_PORT": str(self.worker_port),
            "GH_ENABLE_TEST_ROUTES": "true",
        }
        (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))

    def env(self) -> dict[str, str]:
        return clean_env(
            GHOSTHANDS_DIR=str(self.root),
            GH_DEPLOY_RUNTIME="compose",
            GH_CONTAINER_ENGINE="podman",
            GH_IMAGE_REPOSITORY="localhost/ghosthands",
            GH_DEPLOY_PULL="missing",  # local images; a registry would be pulled from
            GH_DEPLOY_HEALTH_TIMEOUT="60",
            GH_DEPLOY_SETTLE_SECONDS="2",
        )

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ghosthands", "deploy", *args]

    def deploy(self, *args: str) -> Result:
        proc = subprocess.run(
            self.command(*args),
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def commit(self) -> str | None:
        try:
            response = httpx.get(f"{self.base_url}/health", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json().get("commit_sha") if response.status_code == 200 else None

    def audit(self) -> list[dict[str, object]]:
        path = self.root / "deploy-audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def audit_steps(self) -> list[tuple[object, object]]:
        return [(r["event"], r.get("step")) for r in self.audit()]

    def restart_seconds(self, tag: str) -> float:
        ms = [
            int(str(r.get("duration_ms") if r["event"] == "step_finished" else r["waited_ms"]))
            for r in self.audit()
            if r.get("tag") == tag
            and (
                (r["event"] == "step_finished" and r.get("step") == "switch")
                or r["event"] == "health_first_ok"
            )
        ]
        assert len(ms) == 2, self.audit()
        return sum(ms) / 1000


@pytest.fixture
def compose_host(
    images: dict[str, str], network: str, container_database_url: str, tmp_path: Path
) -> Iterator[ComposeHost]:
    host = ComposeHost(tmp_path / "opt-ghosthands", container_database_url)
    yield host
    for role in ("api", "worker"):
        podman("rm", "-f", "-t", "0", f"ghosthands_{role}_1", check=False)


def test_compose_release_upgrade_and_rollback(compose_host: ComposeHost) -> None:
    host = compose_host
    first = host.deploy("release", "v1")
    assert first.code == 0, first
    assert first.fields["DEPLOY_STATUS"] == "success"
    assert first.fields["DEPLOY_IMAGE"] == "localhost/ghosthands:v1"
    assert host.commit() == "v1"

    watch = HealthWatch(f"{host.base_url}/health")
    deploy = host.start("release", "v2")
    wait_until(
        lambda: ("step_started", "switch") in host.audit_steps(), 120, "the v2 switch to start"
    )
    answer: dict[str, object] = {}

    def slow() -> None:
        try:
            answer["r"] = httpx.get(f"{host.base_url}/__test__/slow?seconds=2", timeout=30)
        except httpx.HTTPError as exc:
            answer["error"] = exc

    request = threading.Thread(target=slow)
    request.start()
    stdout, stderr = deploy.communicate(timeout=600)
    request.join(30)
    watch.stop()
    assert deploy.returncode == 0, f"{stdout}\n{stderr}"
    assert "DEPLOY_PREVIOUS_TAG=v1" in stdout.splitlines()
    assert host.commit() == "v2"
    response = answer.get("r")
    assert isinstance(response, httpx.Response) and response.status_code == 200, answer
    # /health was down no longer than the restart: the switch plus the new API's start.
    assert watch.longest_outage() <= host.restart_seconds("v2") + 0.5, (
        watch.longest_outage(),
        host.restart_seconds("v2"),
    )

    third = host.deploy("release", "v3")
    assert third.code == 2, f"{third}"
    assert third.fields["DEPLOY_STATUS"] == "rolled_back"
    assert third.fields["DEPLOY_PREVIOUS_TAG"] == "v2"
    assert host.commit() == "v2"
    assert ("step_failed", "health_gate") in host.audit_steps()

    status = host.deploy("status")
    assert status.fields["DEPLOY_TAG"] == "v2", status
    assert status.fields["DEPLOY_HEALTH"] == "healthy", status
    assert "api: running" in status.stdout and "worker: running" in status.stdout, status


def test_two_compose_deploys_at_once(compose_host: ComposeHost) -> None:
    host = compose_host
    first = host.start("release", "v1")
    wait_until((host.root / "deploy.lock").exists, 60, "the first deploy to take the lock")
    second = host.deploy("release", "v2")
    stdout, stderr = first.communicate(timeout=600)
    assert second.code == 75, second
    assert f"pid {first.pid}" in second.stderr
    assert first.returncode == 0, f"{stdout}\n{stderr}"
    assert host.commit() == "v1"
