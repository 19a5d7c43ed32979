"""Recorded manuals: a successful run's steps, stored per site and task, replayed by the
next job on a matching site without a model call.

A replay checks each step before doing it (the selector finds exactly one element, of
the same kind and label as when recorded); at the first mismatch it stops and hands the
page, and the steps it did, to the agent. Each replay moves the manual's health score:
towards 1 when it ran to the end, towards 0 on a mismatch; below :data:`MIN_HEALTH` a
manual is not replayed until a successful agent run records it afresh.

The rows themselves are read and written by :class:`ghosthands.db.manuals.ManualStore`,
handed to the task runner by whoever owns the database; this module keys them
(:func:`url_pattern`, :func:`task_key`) and replays them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from ghosthands.jobs.contract import JobContext
from ghosthands.llm.actions import (
    ELEMENT_ACTIONS,
    PAGE_ACTIONS,
    ActionFailed,
    Step,
    perform,
    placeholders,
)
from ghosthands.llm.observe import DESCRIBE
from ghosthands.logs import get_logger

log = get_logger(__name__)

#: Manuals less healthy than this are not replayed.
MIN_HEALTH = 0.3

#: A path segment that names one record rather than a place on the site: a number, a
#: UUID, a long hex string, or a slug that carries a long digit run (job-12345).
_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|.*\d{4,}.*)$",
    re.IGNORECASE,
)


def url_pattern(url: str) -> str:
    """The site-level pattern of a URL: host and path, with id-like segments as ``*``
    and no query or fragment. ``https://x.io/acme/jobs/4521?src=li`` -> ``x.io/acme/jobs/*``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    path = "/".join("*" if _ID_SEGMENT.match(s) else s for s in segments)
    return f"{host}/{path}" if path else host


def task_key(task: str) -> str:
    """A short, stable key for a task description ('' for none): case and spacing do
    not matter, any other difference makes a different task."""
    normalised = " ".join(task.lower().split())
    if not normalised:
        return ""
    return hashlib.sha256(normalised.encode()).hexdigest()[:32]


class Manual(msgspec.Struct):
    id: uuid.UUID
    url_pattern: str
    job_type: str
    task_key: str
    steps: list[Step]
    health_score: float
    success_count: int
    failure_count: int


class ReplayOutcome(msgspec.Struct):
    completed: bool
    #: The steps that were done, in order (all of them when completed).
    steps: list[Step]
    summary: str = ""
    mismatch: str | None = None


async def replay(
    ctx: JobContext,
    page: Page,
    manual: Manual,
    *,
    variables: dict[str, str],
    files: dict[str, Path],
    timeout_ms: float = 3000,
) -> ReplayOutcome:
    """Replay ``manual`` on ``page`` until it completes or a step no longer matches."""
    done: list[Step] = []
    for number, step in enumerate(manual.steps, 1):
        if step.action == "done":
            if step.url is not None and url_pattern(page.url) != step.url:
                # The last action may have started a navigation that has not landed yet.
                try:
                    await page.wait_for_url(
                        _matches(step.url),
                        wait_until="domcontentloaded",
                        timeout=timeout_ms,
                    )
                except PlaywrightError:
                    pass
            here = url_pattern(page.url)
            if step.url is not None and here != step.url:
                return _mismatch(manual, done, number, f"ended on {here}, expected {step.url}")
            return ReplayOutcome(True, done, summary=step.value or "")
        if step.action not in PAGE_ACTIONS:
            return _mismatch(manual, done, number, f"unknown step {step.action!r}")
        missing = [p for p in placeholders(step.value or "") if p not in variables]
        if missing:
            return _mismatch(manual, done, number, f"no value for {{{{{missing[0]}}}}}")
        if step.action in ELEMENT_ACTIONS or step.selector:
            problem = await _check_element(page, step, timeout_ms)
            if problem:
                return _mismatch(manual, done, number, problem)
        await ctx.count_action()
        try:
            await perform(page, step, variables=variables, files=files, timeout_ms=timeout_ms)
        except ActionFailed as exc:
            return _mismatch(manual, done, number, str(exc))
        done.append(step)
    return _mismatch(manual, done, len(manual.steps), "the manual ended before the task did")


async def _check_element(page: Page, step: Step, timeout_ms: float) -> str | None:
    """Why the step's element is not the one recorded, or None when it is."""
    assert step.selector is not None
    locator = page.locator(step.selector)
    try:
        await locator.first.wait_for(state="attached", timeout=timeout_ms)
    except PlaywrightError:
        return f"{step.selector} is not on the page"
    if await locator.count() != 1:
        return f"{step.selector} matches more than one element"
    try:
        found: Any = await locator.evaluate(DESCRIBE)
    except PlaywrightError:
        return f"{step.selector} went away"
    if step.tag is not None and found.get("tag") != step.tag:
        return f"{step.selector} is now a <{found.get('tag')}>, was a <{step.tag}>"
    if step.label and "{{" not in step.label and found.get("label") != step.label:
        return f"{step.selector} is now labelled {found.get('label')!r}, was {step.label!r}"
    return None


def _matches(pattern: str) -> Callable[[str], bool]:
    return lambda url: url_pattern(url) == pattern


def _mismatch(manual: Manual, done: list[Step], number: int, why: str) -> ReplayOutcome:
    log.info("manual_mismatch", manual_id=str(manual.id), step=number, reason=why)
    return ReplayOutcome(False, done, mismatch=f"step {number}: {why}")
