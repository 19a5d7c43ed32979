"""``ghosthands dev`` on the embedded default: up, healthy, and gone without a trace."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support import GhProcess, free_port, wait_until


def _postgres_processes_for(datadir: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if datadir in cmdline and "postgres" in cmdline:
            found.append(int(entry.name))
    return found


def test_dev_without_database_url_runs_and_cleans_up(
    gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    port = free_port()
    proc = gh_process("dev", GH_API_PORT=str(port), GH_WORKER_PORT="0", XDG_DATA_HOME=str(tmp_path))
    started = proc.wait_event("embedded_postgres_started", timeout=60)
    datadir = started["datadir"]
    proc.wait_event("dev_ready", timeout=60)
    assert httpx.get(f"http://127.0.0.1:{port}/health").json()["environment"] == "development"
    assert _postgres_processes_for(datadir), "the embedded cluster should be running"
    # The worker child is up and listening too.
    proc.wait_event("role_ready", status="listening for jobs", timeout=30)

    proc.send(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, proc.output
    assert proc.find_event("embedded_postgres_stopped") is not None
    wait_until(lambda: not _postgres_processes_for(datadir), 10, "postgres processes gone")
    assert not os.path.exists(datadir)
    secret_file = tmp_path / "ghosthands" / "dev-service-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert secret_file.read_text().strip() not in proc.output
