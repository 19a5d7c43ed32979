"""Bad configuration fails at start-up: one line, the variable named, exit 78, no secret."""

from __future__ import annotations

from collections.abc import Callable

from ghosthands.config import EX_CONFIG
from tests.support import GhProcess

SECRET = "service-secret-that-must-not-leak-1234"


def test_bad_api_port_exits_78_naming_the_variable(
    gh_process: Callable[..., GhProcess], database_url: str
) -> None:
    proc = gh_process(
        "serve", GH_API_PORT="abc", GH_SERVICE_SECRET=SECRET, DATABASE_URL=database_url
    )
    assert proc.wait(timeout=20) == EX_CONFIG
    lines = [line for line in proc.output.splitlines() if line.strip()]
    assert lines == [
        "configuration error: GH_API_PORT: must be a whole number between 0 and 65535 (got 'abc')"
    ]
    assert SECRET not in proc.output


def test_work_without_database_url_exits_78(gh_process: Callable[..., GhProcess]) -> None:
    proc = gh_process("work", GH_SERVICE_SECRET=SECRET)
    assert proc.wait(timeout=20) == EX_CONFIG
    assert "DATABASE_URL" in proc.output
    assert "required" in proc.output
    assert SECRET not in proc.output


def test_malformed_secret_is_reported_without_its_value(
    gh_process: Callable[..., GhProcess],
) -> None:
    proc = gh_process("work", GH_ENCRYPTION_KEY=SECRET, DATABASE_URL="postgresql://x@127.0.0.1/y")
    assert proc.wait(timeout=20) == EX_CONFIG
    assert "GH_ENCRYPTION_KEY" in proc.output
    assert SECRET not in proc.output
