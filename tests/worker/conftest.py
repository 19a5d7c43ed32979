"""Fixtures for worker tests: worker processes with the test plugins, local servers."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import GhProcess
from tests.worker.helpers import (
    REPO_ROOT,
    SERVICE_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    Site,
    write_plugin_dist,
)

#: Short timings so failure paths show within seconds.
FAST = {
    "GH_WORKER_PORT": "0",
    "GH_ALLOW_PRIVATE_NETWORKS": "true",
    "GH_POLL_SECONDS": "0.5",
    "GH_HEARTBEAT_SECONDS": "0.5",
    "GH_STALE_SECONDS": "5",
    "GH_WORKER_DRAIN_SECONDS": "5",
    "GH_CALLBACK_BACKOFF_SECONDS": "0.2",
    "GH_SERVICE_SECRET": SERVICE_SECRET,
    "GH_WEBHOOK_SECRET": WEBHOOK_SECRET,
}


@pytest.fixture
def plugin_path(tmp_path: Path) -> str:
    """PYTHONPATH that makes the test handlers an installed plugin."""
    plugins = write_plugin_dist(tmp_path / "plugins")
    return os.pathsep.join([str(plugins), str(REPO_ROOT)])


@pytest.fixture
def start_worker(
    gh_process: Callable[..., GhProcess], database_url: str, plugin_path: str
) -> Iterator[Callable[..., GhProcess]]:
    """Start ``ghosthands work`` on the test database; returns once it claims jobs.

    Workers are stopped here, before the test database is dropped under them.
    """
    started: list[GhProcess] = []

    def start(dsn: str | None = None, wait: bool = True, **env: str) -> GhProcess:
        settings = {**FAST, "DATABASE_URL": dsn or database_url, "PYTHONPATH": plugin_path, **env}
        proc = gh_process("work", **settings)
        started.append(proc)
        if wait:
            proc.wait_event("role_ready", timeout=30)
        return proc

    yield start
    for proc in started:
        if proc.proc.poll() is None:
            proc.send(signal.SIGTERM)
    for proc in started:
        proc.stop()


def status_port(proc: GhProcess) -> int:
    return int(proc.wait_event("worker_status_listening")["port"])


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.close()
