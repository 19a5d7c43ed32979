"""The host lock: one deploy at a time on a host, and a clear word about who holds it.

The lock is a file created with ``O_EXCL`` that records its holder (pid, the process's
start time, host, user, command, since when). A lock is stale, and is broken with a
warning, when its holder is a process on this host that no longer exists (or whose pid
now belongs to another process), or when it is older than the maximum age. Checking and
breaking happen under a short ``flock`` on a guard file so two deploys cannot both break
the same stale lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from ghosthands.logs import get_logger

log = get_logger(__name__)


class LockHolder(msgspec.Struct):
    pid: int
    host: str
    user: str
    command: str
    started_at: float
    pid_start_time: str | None = None

    def describe(self) -> str:
        since = dt.datetime.fromtimestamp(self.started_at, dt.UTC).isoformat(timespec="seconds")
        return f"pid {self.pid} on {self.host} (user {self.user}, `{self.command}`) since {since}"


class LockHeld(Exception):
    """Another deploy holds the host lock. ``str()`` names the holder."""

    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        who = holder.describe() if holder else "an unreadable lock file"
        super().__init__(
            f"another deploy holds the host lock {path}: {who}. "
            "Wait for it to finish; if it is certainly dead, remove the file."
        )
        self.holder = holder


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone.

    Comparing it guards against a recycled pid; a zombie counts as gone.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def process_alive(pid: int, start_time: str | None) -> bool:
    """Whether ``pid`` runs and is the same process that had ``start_time`` (when known)."""
    now = process_start_time(pid)
    return now is not None and (start_time is None or now == start_time)


class HostLock:
    """``with HostLock(path, command=...):`` holds the lock for the block."""

    def __init__(self, path: Path, *, command: str, max_age: float = 3600.0) -> None:
        self.path = path
        self.command = command
        self.max_age = max_age
        self._guard = path.with_name(path.name + ".guard")

    def __enter__(self) -> HostLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _holder(self) -> LockHolder | None:
        try:
            return msgspec.json.decode(self.path.read_bytes(), type=LockHolder)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None

    def _stale_reason(self, holder: LockHolder | None) -> str | None:
        if holder is None:
            # Unreadable: a writer may be between create and write; judge by file age.
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return "gone"
            return "unreadable and old" if age > 10 else None
        if time.time() - holder.started_at > self.max_age:
            return f"older than {int(self.max_age)} s"
        if holder.host == socket.gethostname():
            if not process_alive(holder.pid, holder.pid_start_time):
                return "its process is gone"
        return None

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._guard, "a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)

    def acquire(self) -> None:
        me = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            user=getpass.getuser(),
            command=self.command,
            started_at=time.time(),
            pid_start_time=process_start_time(os.getpid()),
        )
        with self._guarded():
            if self.path.exists():
                holder = self._holder()
                reason = self._stale_reason(holder)
                if reason is None:
                    raise LockHeld(self.path, holder)
                log.warning(
                    "deploy_lock_stale_broken",
                    path=str(self.path),
                    reason=reason,
                    holder=holder.describe() if holder else None,
                )
                self.path.unlink(missing_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(msgspec.json.encode(me))

    def release(self) -> None:
        with self._guarded():
            holder = self._holder()
            if holder is not None and holder.pid == os.getpid():
                self.path.unlink(missing_ok=True)
