"""``ghosthands dev``: API and worker as two child processes under one supervisor.

With no ``DATABASE_URL`` it first starts an embedded throwaway PostgreSQL and applies
the schema. Signals are forwarded to both children (a second signal is forwarded too,
which makes them exit at once); when one child dies on its own the other is stopped.
Whatever happens, the embedded cluster is stopped and deleted on the way out.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from ghosthands.db.embedded import EmbeddedPostgres
from ghosthands.db.migrate import migrate
from ghosthands.logs import get_logger
from ghosthands.sdnotify import Notifier

log = get_logger(__name__)

#: How long children get after SIGTERM before they are killed (worker drain + margin).
CHILD_STOP_SECONDS = 45.0


def _dev_secret_file() -> Path:
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "ghosthands" / "dev-service-secret"


def _ensure_service_secret(env: dict[str, str]) -> None:
    """Development needs a service key too; make one and keep it in a 0600 file."""
    if env.get("GH_SERVICE_SECRET"):
        return
    path = _dev_secret_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    env["GH_SERVICE_SECRET"] = path.read_text().strip()
    log.info("dev_service_secret", path=str(path))


def child_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env.setdefault("GH_ENV", "development")
    env.setdefault("GH_ALLOW_PRIVATE_NETWORKS", "true")
    env.pop("NOTIFY_SOCKET", None)  # the dev supervisor speaks for its children
    _ensure_service_secret(env)
    return env


def wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


class DevStack:
    """Children to start, watch and stop, plus the optional embedded database."""

    def __init__(self, roles: tuple[str, ...] = ("serve", "work")) -> None:
        self.roles = roles
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.signals_seen = 0
        self.notifier = Notifier()
        self.pg: EmbeddedPostgres | None = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals_seen += 1
        if self.signals_seen == 1:
            self.notifier.stopping("draining")
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signum)

    def start_database(self) -> str:
        url = os.environ.get("DATABASE_URL")
        if not url:
            self.pg = EmbeddedPostgres(name="ghosthands-dev")
            url = self.pg.start()
        migrate(url)
        return url

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            env = child_environment(self.start_database())
            if self.signals_seen:
                return 0
            for role in self.roles:
                self.children[role] = subprocess.Popen(
                    [sys.executable, "-m", "ghosthands", role], env=env
                )
            port = env.get("GH_API_PORT", "3100")
            if "serve" in self.roles and wait_healthy(f"http://127.0.0.1:{port}/health", 60):
                self.notifier.ready(f"api on :{port}, worker running")
                log.info("dev_ready", api=f"http://127.0.0.1:{port}")
            return self._watch()
        finally:
            self._stop_children()
            if self.pg is not None:
                self.pg.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _watch(self) -> int:
        while True:
            codes = {role: child.poll() for role, child in self.children.items()}
            if all(code is not None for code in codes.values()):
                log.info("dev_stopped", exit_codes=codes)
                return 0 if all(code == 0 for code in codes.values()) else 1
            exited = [role for role, code in codes.items() if code is not None]
            if exited and not self.signals_seen:
                log.error("dev_child_exited", role=exited[0], code=codes[exited[0]])
                self._on_signal(signal.SIGTERM, None)
            time.sleep(0.1)

    def _stop_children(self) -> None:
        deadline = time.monotonic() + CHILD_STOP_SECONDS
        for child in self.children.values():
            if child.poll() is None and not self.signals_seen:
                child.send_signal(signal.SIGTERM)
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
