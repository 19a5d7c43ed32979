"""The API's list of job types and the worker's registry agree."""

from __future__ import annotations

from ghosthands.config import load_settings
from ghosthands.handlers.registry import default_registry
from ghosthands.jobs.types import KNOWN_JOB_TYPES, accepted_job_types


def test_every_built_in_type_has_a_handler_and_no_handler_is_unlisted() -> None:
    registry = default_registry(load_settings({}), load_plugins=False)
    assert sorted(KNOWN_JOB_TYPES) == registry.job_types()
    assert set(KNOWN_JOB_TYPES) <= set(accepted_job_types())
