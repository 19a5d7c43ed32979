"""The job types the API accepts: one definition, imported wherever a type is checked.

The handler registry (``ghosthands.handlers.registry``) owns what each type *does*; this
constant is what the API validates submissions against, so it must list every type the
registry can run. A test compares the two once both exist.
"""

from __future__ import annotations

#: Built-in job types, in the order they are shown to callers.
KNOWN_JOB_TYPES: tuple[str, ...] = ("http_check", "apply", "fill_form", "scrape", "custom")


def is_known_job_type(job_type: str) -> bool:
    return job_type in KNOWN_JOB_TYPES
