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


def dev_secret_file() -> Path:
    """Where ``dev`` and ``demo`` keep their development service key (mode 0600)."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "ghosthands" / "dev-service-secret"


def _ensure_service_secret(env: dict[str, str]) -> None:
    """Development needs a service key too; make one and keep it in a 0600 file."""
    if env.get("GH_SERVICE_SECRET"):
        return
    path = dev_secret_file()
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

    def __init__(
        self,
        roles: tuple[str, ...] = ("serve", "work"),
        *,
        name: str = "ghosthands-dev",
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        """``env``: settings for the children on top of :func:`child_environment`.
        ``log_dir``: write each child's output to ``<log_dir>/<role>.log`` instead of
        sharing this process's stdout (the demo keeps its own output for people)."""
        self.roles = roles
        self.name = name
        self.extra_env = dict(env or {})
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.signals_seen = 0
        self.notifier = Notifier()
        self.pg: EmbeddedPostgres | None = None
        self.env: dict[str, str] = {}

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
            self.pg = EmbeddedPostgres(name=self.name)
            url = self.pg.start()
        migrate(url)
        return url

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('GH_API_PORT', '3100')}"

    def start(self) -> None:
        """The database (embedded unless DATABASE_URL is set), then the children.

        Each child leads a process group of its own, so a Ctrl-C at the terminal reaches
        only this process, which forwards it once (a child that saw it twice would skip
        its drain and exit at once).
        """
        self.env = {**child_environment(self.start_database()), **self.extra_env}
        for role in self.roles:
            if self.signals_seen:
                return
            output = None
            if self.log_dir is not None:
                output = open(self.log_dir / f"{role}.log", "ab")  # the child keeps its own copy
            try:
                self.children[role] = subprocess.Popen(
                    [sys.executable, "-m", "ghosthands", role],
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT if output is not None else None,
                    process_group=0,
                )
            finally:
                if output is not None:
                    output.close()

    def wait_api(self, timeout: float = 60) -> bool:
        """True once the API answers /health; False after ``timeout`` or if it exited."""
        api = self.children.get("serve")
        deadline = time.monotonic() + timeout
        while api is not None and api.poll() is None and time.monotonic() < deadline:
            if wait_healthy(f"{self.api_url}/health", 0.5):
                return True
        return False

    def stop(self) -> None:
        """Stop the children (and whatever they started), then the embedded database."""
        try:
            self._stop_children()
        finally:
            if self.pg is not None:
                self.pg.stop()
                self.pg = None

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            if self.signals_seen:
                return 0
            if self.wait_api():
                port = self.env.get("GH_API_PORT", "3100")
                self.notifier.ready(f"api on :{port}, worker running")
                log.info("dev_ready", api=self.api_url)
            return self._watch()
        finally:
            self.stop()
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
        # What the children started (Chromium leads its own process group, and is
        # re-parented away from us if its parent dies first): noted now, ended below.
        leftovers = {
            pid: start
            for child in self.children.values()
            for pid, start in descendants(child.pid).items()
        }
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
        kill_leftovers(leftovers)
        self.children.clear()


def _start_time(pid: int) -> str | None:
    """A live process's start time (field 22 of /proc/<pid>/stat): tells pid reuse apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return None if fields[0] == "Z" else fields[19]  # a zombie is already dead


def descendants(pid: int) -> dict[int, str]:
    """Every live descendant of ``pid`` with its start time (empty where /proc is absent)."""
    parents: dict[int, list[int]] = {}
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return {}
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        start = _start_time(child)
        if start is not None:
            found[child] = start
        todo.extend(parents.get(child, []))
    return found


def kill_leftovers(processes: dict[int, str], grace: float = 2.0) -> None:
    """SIGKILL those of ``processes`` (pid -> start time) still alive after ``grace`` s.

    A browser's helpers (its zygote) exit on their own moments after the browser does;
    only what is still there after that is killed.
    """
    deadline = time.monotonic() + grace
    alive = dict(processes)
    while alive:
        alive = {pid: start for pid, start in alive.items() if _start_time(pid) == start}
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    for pid in alive:
        log.info("dev_leftover_killed", pid=pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
