"""The job types the API accepts: one definition, imported wherever a type is checked.

The handler registry (``ghosthands.handlers.registry``) owns what each type *does*;
this module is what the API validates submissions against: the built-in types (a test
checks they equal the registry's) plus the types installed plugins declare in the
``ghosthands.handlers`` entry-point group (read by name, without importing them).
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

#: Built-in job types, in the order they are shown to callers.
KNOWN_JOB_TYPES: tuple[str, ...] = ("http_check", "apply", "fill_form", "scrape", "custom")

HANDLER_ENTRY_POINT_GROUP = "ghosthands.handlers"


@functools.cache
def plugin_job_types() -> tuple[str, ...]:
    """Job types declared by installed plugins (read once per process)."""
    names = {ep.name for ep in entry_points(group=HANDLER_ENTRY_POINT_GROUP)}
    return tuple(sorted(names - set(KNOWN_JOB_TYPES)))


def accepted_job_types() -> tuple[str, ...]:
    return KNOWN_JOB_TYPES + plugin_job_types()


def is_known_job_type(job_type: str) -> bool:
    return job_type in accepted_job_types()
