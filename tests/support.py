"""Helpers for tests that drive real ``ghosthands`` processes: start, read, wait, signal.

Every wait has a deadline and a message; nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import anyio

#: Variables that must not leak from the developer's shell into a test's process.
_SCRUB_PREFIXES = ("GH_", "DATABASE_", "SUPABASE_", "VALET_", "NOTIFY_SOCKET", "WATCHDOG_")
_SCRUB_NAMES = {"NODE_ENV", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "CORS_ORIGIN"}


def clean_env(**overrides: str) -> dict[str, str]:
    """The current environment minus GhostHands settings, plus ``overrides``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUB_PREFIXES) and k not in _SCRUB_NAMES
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def wait_until(
    predicate: Callable[[], Any], timeout: float, message: str, interval: float = 0.02
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {message}")
        time.sleep(interval)


async def wait_until_async(
    predicate: Callable[[], Any], timeout: float, message: str, interval: float = 0.02
) -> Any:
    """:func:`wait_until` for async tests: polls without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {message}")
        await anyio.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connection_refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class GhProcess:
    """A ``python -m ghosthands ...`` subprocess whose output is collected line by line."""

    def __init__(self, args: Iterable[str], env: dict[str, str]) -> None:
        self.args = list(args)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ghosthands", *self.args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def events(self) -> list[dict[str, Any]]:
        """Output lines that are JSON log objects."""
        found = []
        with self._lock:
            lines = list(self.lines)
        for line in lines:
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
        return found

    def find_event(self, event: str, **fields: Any) -> dict[str, Any] | None:
        for item in self.events():
            if item.get("event") == event and all(item.get(k) == v for k, v in fields.items()):
                return item
        return None

    def wait_event(self, event: str, timeout: float = 20.0, **fields: Any) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            found = self.find_event(event, **fields)
            if found is None and self.proc.poll() is not None:
                self._reader.join(timeout=2)
                found = self.find_event(event, **fields)
                if found is None:
                    raise AssertionError(
                        f"process exited ({self.proc.returncode}) before {event!r}:\n{self.output}"
                    )
            return found

        try:
            result: dict[str, Any] = wait_until(check, timeout, f"log event {event!r}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- output ---\n{self.output}") from None
        return result

    def send(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"ghosthands {' '.join(self.args)} still running after {timeout}s:\n{self.output}"
            ) from None
        self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        """Best-effort cleanup for fixtures: TERM, then KILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """GET a Prometheus endpoint: ``{(sample name, labels): value}``."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def sample(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """One sample's value; 0.0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
