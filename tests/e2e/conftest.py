"""Fixtures for whole-system tests."""

from __future__ import annotations

# Worker processes with the test plugins, a local site and a callback receiver.
from tests.worker.conftest import plugin_path, receiver, site, start_worker  # noqa: F401
