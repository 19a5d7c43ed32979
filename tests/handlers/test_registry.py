"""The handler registry: lookup, input validation, plugins from entry points."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ghosthands.config import Settings
from ghosthands.handlers.http_check import HttpCheckInput, page_title
from ghosthands.handlers.registry import HandlerRegistry, default_registry
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.jobs.types import KNOWN_JOB_TYPES
from tests.worker.helpers import write_plugin_dist


def test_unknown_job_type_is_a_clear_non_retryable_failure() -> None:
    registry = default_registry(Settings(), load_plugins=False)
    with pytest.raises(JobFailure) as caught:
        registry.get("teleport")
    assert caught.value.code is ErrorCode.UNKNOWN_JOB_TYPE
    assert caught.value.retryable is False
    assert caught.value.details["known"] == sorted(KNOWN_JOB_TYPES)


def test_input_is_validated_against_the_handlers_struct() -> None:
    registry = default_registry(Settings(), load_plugins=False)
    handler = registry.get("http_check")
    params = registry.decode_input(handler, {"timeout_seconds": 3, "extra": "ignored"})
    assert isinstance(params, HttpCheckInput) and params.timeout_seconds == 3
    with pytest.raises(JobFailure) as caught:
        registry.decode_input(handler, {"expect_status": "two hundred"})
    assert caught.value.code is ErrorCode.INVALID_INPUT and caught.value.retryable is False
    assert "expect_status" in caught.value.message


def test_plugins_load_from_the_entry_point_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = write_plugin_dist(tmp_path)
    entry_points = next(plugins.glob("*.dist-info")) / "entry_points.txt"
    entry_points.write_text(
        entry_points.read_text()
        + "broken = tests.worker.no_such_module:Nothing\n"
        + "misnamed = tests.worker.plugin_handlers:SlowHandler\n"
    )
    monkeypatch.setattr(sys, "path", [str(plugins), *sys.path])
    registry = HandlerRegistry()
    added = registry.load_plugins()
    assert "test_slow" in added and "broken" not in added and "misnamed" not in added
    assert registry.get("test_slow").job_type == "test_slow"


def test_duplicate_job_type_is_refused() -> None:
    registry = default_registry(Settings(), load_plugins=False)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.get("http_check"))


def test_page_title() -> None:
    assert page_title(b"<html><head><TITLE>\n A &amp; B </title>") == "A & B"
    assert page_title(b"<html>no title</html>") is None
