"""The seam between the deploy steps and the machinery that runs the roles on a host.

A runtime knows how to fetch a release, make it the running one (both roles restarted)
and say what runs. Three implement it: ``compose`` (docker or podman compose, images),
``systemd`` (versioned venvs and units) and ``local`` (versioned venvs and plain
processes with pid files, for hosts without systemd). They import this module;
``ghosthands.deploy.runtimes`` picks one, so nothing here imports them back.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Protocol

import msgspec

from ghosthands.logs import get_logger

log = get_logger(__name__)

ROLES = ("api", "worker")


class RuntimeFailure(Exception):
    """A runtime step failed; ``str()`` says which command and why."""


class RoleStatus(msgspec.Struct):
    role: str
    running: bool
    release: str | None = None
    pid: int | None = None
    detail: str | None = None


class Runtime(Protocol):
    name: str

    def artefact(self, tag: str) -> str:
        """What ``tag`` names here: an image reference or a package requirement."""
        ...

    def pull(self, tag: str) -> str:
        """Fetch the release (idempotent); return its resolved tag (``latest`` resolved)."""
        ...

    def available(self, tag: str) -> bool:
        """Whether ``tag`` is on the host already (so a rollback needs no network)."""
        ...

    def running_release(self) -> str | None:
        """The release the roles run now, as far as the runtime can tell."""
        ...

    def migrate(self, tag: str) -> None:
        """Run ``tag``'s own ``ghosthands migrate`` against the host's database, before
        any role restarts (migrations are backward-compatible for one release)."""
        ...

    def switch(self, tag: str) -> None:
        """Make ``tag`` the running release: stop the worker, restart the API, start both."""
        ...

    def stop_worker(self) -> None:
        """Stop the worker, letting it drain within its stop timeout."""
        ...

    def start_worker(self) -> None:
        """Start the worker of the current release (after a maintenance drain)."""
        ...

    def expected_version(self, tag: str) -> str | None:
        """The version ``/health`` must report for ``tag``, when the runtime knows it."""
        ...

    def dead_role(self) -> str | None:
        """A reason when a role that should run does not; None when both run."""
        ...

    def roles(self) -> list[RoleStatus]:
        """What runs now, for ``status``."""
        ...

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Remove old releases beyond ``keep``, never those in ``protect``."""
        ...


def run_command(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float = 600.0,
    what: str | None = None,
) -> str:
    """Run a command, log it, and raise RuntimeFailure with its tail of output on failure."""
    shown = what or " ".join(argv[:4])
    log.info("deploy_command", command=list(argv))
    try:
        proc = subprocess.run(
            list(argv),
            env=env,
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise RuntimeFailure(f"{shown}: {argv[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise RuntimeFailure(f"{shown}: no result after {timeout:g} s") from None
    output = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise RuntimeFailure(f"{shown} failed with exit code {proc.returncode}:\n{tail}")
    return output
