"""The ``local`` runtime: the roles as plain processes started from the current release.

For hosts without systemd or a container engine. Each role runs as
``current/bin/ghosthands serve|work --env-file .env`` in its own session (so it outlives
the deploy command), with its output appended to ``logs/<role>.log`` and a pid file in
``run/<role>.pid`` that also records the process's start time, so a recycled pid is
never mistaken for the role. Stopping sends SIGTERM (the role drains) and SIGKILL only
after the stop timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import msgspec

from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.lock import process_alive, process_start_time
from ghosthands.deploy.releases import ReleaseStore
from ghosthands.deploy.runtime import ROLES, RoleStatus, RuntimeFailure
from ghosthands.logs import get_logger

log = get_logger(__name__)

COMMANDS = {"api": "serve", "worker": "work"}
#: Past the role's own drain limit (API 5 s, worker 30 s) before SIGKILL.
STOP_TIMEOUTS = {"api": 10.0, "worker": 40.0}
#: Variables of the deploy command's own supervision that the roles must not inherit.
_NOT_INHERITED = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")


class PidFile(msgspec.Struct):
    pid: int
    start_time: str | None
    release: str
    started_at: float


class LocalRuntime:
    name = "local"

    def __init__(self, config: DeployConfig) -> None:
        self.config = config
        self.store = ReleaseStore(config)
        self.run_dir = config.root / "run"
        self.log_dir = config.root / "logs"

    # -- releases ------------------------------------------------------------------------

    def artefact(self, tag: str) -> str:
        return self.store.requirement(tag)

    def pull(self, tag: str) -> str:
        return self.store.install(tag)

    def available(self, tag: str) -> bool:
        return self.store.installed(tag)

    def running_release(self) -> str | None:
        pid = self._pid("api")
        return pid.release if pid is not None else self.store.current()

    def expected_version(self, tag: str) -> str | None:
        return tag

    def migrate(self, tag: str) -> None:
        self.store.migrate(tag, {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED})

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        return self.store.prune(keep, protect)

    # -- processes -----------------------------------------------------------------------

    def _pid_path(self, role: str) -> Path:
        return self.run_dir / f"{role}.pid"

    def _pid(self, role: str) -> PidFile | None:
        """The role's pid file if its process still runs."""
        try:
            pid = msgspec.json.decode(self._pid_path(role).read_bytes(), type=PidFile)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        return pid if process_alive(pid.pid, pid.start_time) else None

    def start(self, role: str) -> int:
        version = self.store.current()
        if version is None:
            raise RuntimeFailure("no current release to start")
        running = self._pid(role)
        if running is not None:
            log.info("deploy_role_already_running", role=role, pid=running.pid)
            return running.pid
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        argv = [str(self.config.root / "current" / "bin" / "ghosthands"), COMMANDS[role]]
        if self.config.env_file.exists():
            argv += ["--env-file", str(self.config.env_file)]
        with open(self.log_dir / f"{role}.log", "ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=self.config.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the deploy command; no terminal signals
            )
        record = PidFile(
            pid=proc.pid,
            start_time=process_start_time(proc.pid),
            release=version,
            started_at=time.time(),
        )
        tmp = self._pid_path(role).with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(record))
        os.replace(tmp, self._pid_path(role))
        log.info("deploy_role_started", role=role, pid=proc.pid, release=version)
        return proc.pid

    def stop(self, role: str, timeout: float | None = None) -> None:
        """SIGTERM, wait for the drain, SIGKILL after ``timeout``. Idempotent."""
        pid = self._pid(role)
        if pid is None:
            self._pid_path(role).unlink(missing_ok=True)
            return
        timeout = STOP_TIMEOUTS[role] if timeout is None else timeout
        log.info("deploy_role_stopping", role=role, pid=pid.pid, timeout=timeout)
        try:
            os.kill(pid.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not self._wait_gone(role, timeout):
            log.warning("deploy_role_killed", role=role, pid=pid.pid, timeout=timeout)
            try:
                os.kill(pid.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait_gone(role, 5.0)
        self._pid_path(role).unlink(missing_ok=True)
        log.info("deploy_role_stopped", role=role, pid=pid.pid)

    def _wait_gone(self, role: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._pid(role) is not None:
            _reap()
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    # -- the runtime interface -----------------------------------------------------------

    def switch(self, tag: str) -> None:
        self.store.activate(tag)
        self.stop("worker")
        self.stop("api")
        self.start("api")
        self.start("worker")

    def stop_worker(self) -> None:
        self.stop("worker")

    def start_worker(self) -> None:
        self.start("worker")

    def dead_role(self) -> str | None:
        _reap()
        for role in ROLES:
            if self._pid(role) is None:
                return f"the {role} process is not running (see {self.log_dir / role}.log)"
        return None

    def roles(self) -> list[RoleStatus]:
        found = []
        for role in ROLES:
            pid = self._pid(role)
            found.append(
                RoleStatus(
                    role=role,
                    running=pid is not None,
                    release=pid.release if pid else None,
                    pid=pid.pid if pid else None,
                )
            )
        return found


def _reap() -> None:
    """Collect exited children of this command, so a dead role is not left a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
