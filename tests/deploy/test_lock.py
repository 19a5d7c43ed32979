"""The host lock: held locks name their holder, stale ones (dead pid, recycled pid,
too old) are broken, and a deploy only ever removes its own lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from ghosthands.deploy.lock import HostLock, LockHeld, LockHolder, process_start_time


def write_holder(path: Path, **fields: object) -> LockHolder:
    holder = LockHolder(
        **{  # type: ignore[arg-type]
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "user": "valet",
            "command": "ghosthands deploy release abc123",
            "started_at": time.time(),
            "pid_start_time": None,
            **fields,
        }
    )
    path.write_bytes(msgspec.json.encode(holder))
    return holder


@pytest.fixture
def sleeper() -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_live_holder_is_named_in_the_refusal(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    lock = tmp_path / "deploy.lock"
    write_holder(lock, pid=sleeper.pid, pid_start_time=process_start_time(sleeper.pid))
    with pytest.raises(LockHeld) as info:
        HostLock(lock, command="ghosthands deploy release def456").acquire()
    message = str(info.value)
    assert f"pid {sleeper.pid} on {socket.gethostname()}" in message
    assert "user valet" in message and "ghosthands deploy release abc123" in message
    assert lock.exists()


def test_a_holder_whose_process_is_gone_is_broken(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_holder(lock, pid=dead.pid)
    with HostLock(lock, command="ghosthands deploy release def456"):
        holder = msgspec.json.decode(lock.read_bytes(), type=LockHolder)
        assert holder.pid == os.getpid() and holder.command.endswith("def456")
    assert not lock.exists()


def test_a_recycled_pid_does_not_keep_the_lock(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    lock = tmp_path / "deploy.lock"
    write_holder(lock, pid=sleeper.pid, pid_start_time="1")  # some other, older process
    with HostLock(lock, command="ghosthands deploy release def456"):
        assert msgspec.json.decode(lock.read_bytes(), type=LockHolder).pid == os.getpid()


def test_another_hosts_lock_holds_until_it_is_too_old(tmp_path: Path) -> None:
    lock = tmp_path / "deploy.lock"
    write_holder(lock, host="ec2-other", pid=1, started_at=time.time() - 60)
    with pytest.raises(LockHeld, match="on ec2-other"):
        HostLock(lock, command="x", max_age=3600).acquire()
    write_holder(lock, host="ec2-other", pid=1, started_at=time.time() - 7200)
    with HostLock(lock, command="x", max_age=3600):
        assert msgspec.json.decode(lock.read_bytes(), type=LockHolder).host == socket.gethostname()


def test_release_leaves_someone_elses_lock_alone(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    lock = tmp_path / "deploy.lock"
    mine = HostLock(lock, command="x")
    mine.acquire()
    write_holder(lock, pid=sleeper.pid)  # as if broken and taken over meanwhile
    mine.release()
    assert lock.exists()
