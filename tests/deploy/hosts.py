"""A host directory driven through the real ``ghosthands deploy`` command."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from ghosthands.deploy.config import load_deploy_config
from ghosthands.deploy.local import LocalRuntime
from tests.support import clean_env


@dataclasses.dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def fields(self) -> dict[str, str]:
        """The KEY=VALUE lines on stdout (what VALET parses)."""
        found = {}
        for line in self.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep and key.isupper():
                found[key] = value
        return found

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


@dataclasses.dataclass
class Host:
    root: Path
    api_port: int
    worker_port: int
    database_url: str
    wheelhouse: Path
    extra_env: dict[str, str]

    def write_env_file(self) -> None:
        """The service's env file, as an operator writes /opt/ghosthands/.env."""
        self.root.mkdir(parents=True, exist_ok=True)
        lines = {
            "GH_ENV": "production",
            "DATABASE_URL": self.database_url,
            "GH_SERVICE_SECRET": "deploy-test-service-secret",
            "GH_API_PORT": str(self.api_port),
            "GH_WORKER_PORT": str(self.worker_port),
            "GH_ENABLE_TEST_ROUTES": "true",
            "GH_POLL_SECONDS": "0.5",
            # Jobs in these tests fetch pages the tests serve on 127.0.0.1.
            "GH_ALLOW_PRIVATE_NETWORKS": "true",
        }
        (self.root / ".env").write_text("".join(f"{k}={v}\n" for k, v in lines.items()))

    def env(self, **more: str) -> dict[str, str]:
        return clean_env(
            GHOSTHANDS_DIR=str(self.root),
            GH_DEPLOY_RUNTIME="local",
            GH_DEPLOY_WHEELHOUSE=str(self.wheelhouse),
            GH_DEPLOY_HEALTH_TIMEOUT="30",
            GH_DEPLOY_SETTLE_SECONDS="1",
            **{**self.extra_env, **more},
        )

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ghosthands", "deploy", *args]

    def deploy(self, *args: str, timeout: float = 180, **env: str) -> Result:
        proc = subprocess.run(
            self.command(*args),
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def health(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(f"{self.base_url}/health", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def audit(self) -> list[dict[str, Any]]:
        path = self.root / "deploy-audit.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def runtime(self) -> LocalRuntime:
        return LocalRuntime(load_deploy_config(self.env(), root=self.root))

    def stop_roles(self) -> None:
        if self.root.exists():
            runtime = self.runtime()
            runtime.stop("worker")
            runtime.stop("api")


def hosts_file(path: Path, hosts: list[Host]) -> Path:
    blocks = []
    for host in hosts:
        env = host.env()
        blocks.append(
            "[[host]]\n"
            f'name = "{host.root.name}"\n'
            f'dir = "{host.root}"\n'
            f'health_url = "{host.base_url}/health"\n'
            "env = { "
            + ", ".join(
                f'{k} = "{env[k]}"'
                for k in (
                    "GH_DEPLOY_RUNTIME",
                    "GH_DEPLOY_WHEELHOUSE",
                    "GH_DEPLOY_HEALTH_TIMEOUT",
                    "GH_DEPLOY_SETTLE_SECONDS",
                )
            )
            + " }\n"
        )
    path.write_text("\n".join(blocks))
    return path


class HealthWatch:
    """Polls /health in a thread and measures the longest stretch of failures."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[tuple[float, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ok = httpx.get(self.url, timeout=1.0).status_code == 200
            except httpx.HTTPError:
                ok = False
            self.samples.append((time.monotonic(), ok))
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def longest_outage(self) -> float:
        longest, down_since = 0.0, None
        for at, ok in self.samples:
            if not ok and down_since is None:
                down_since = at
            elif ok and down_since is not None:
                longest = max(longest, at - down_since)
                down_since = None
        assert down_since is None, "/health was still failing when the watch stopped"
        return longest
