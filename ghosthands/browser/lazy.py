"""The worker's browser, launched on the first job that needs one.

A worker that only runs jobs without a browser (``http_check``) never starts Chromium.
The :class:`ChromiumProvider` lives in a task of this object's own task group, so it is
entered and left in one task (anyio's rule for the task group inside it) whichever
job's task happened to need it first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc

from ghosthands.browser.provider import ChromiumProvider
from ghosthands.config import Settings
from ghosthands.jobs.contract import JobSpec


class LazyChromium:
    """A :class:`BrowserProvider` that starts Chromium on first use.

    ``async with LazyChromium(settings, store) as browser`` around the worker's run.
    """

    def __init__(self, settings: Settings, store: Any = None) -> None:
        self.settings = settings
        self.store = store
        self.provider: ChromiumProvider | None = None
        self._lock = anyio.Lock()
        self._close = anyio.Event()
        self._tg: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> LazyChromium:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        self._close.set()
        assert self._tg is not None
        return await self._tg.__aexit__(*exc_info)

    async def _own(self, *, task_status: anyio.abc.TaskStatus[ChromiumProvider]) -> None:
        async with ChromiumProvider(self.settings, store=self.store) as provider:
            task_status.started(provider)
            await self._close.wait()

    async def _provider(self) -> ChromiumProvider:
        async with self._lock:
            if self.provider is None:
                assert self._tg is not None, "enter LazyChromium before using it"
                self.provider = await self._tg.start(self._own)
            return self.provider

    @asynccontextmanager
    async def session(self, job: JobSpec) -> AsyncIterator[Any]:
        provider = await self._provider()
        async with provider.session(job) as session:
            yield session
