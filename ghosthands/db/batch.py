"""Group commit: writes that arrive while one is in flight go out together in the next.

A worker running many short jobs would otherwise spend a transaction (and a round trip
per statement) on every job's ``queued → running`` and on every final write. With
:class:`GroupWriter`, a caller whose write finds none in flight sends it at once, alone;
callers arriving while it is in flight queue up and the next of them sends the whole
queue as one statement. Before sending, a caller yields once to the event loop, so the
writes of tasks started together (the jobs of one claim) leave together. An idle worker
adds no latency, and a busy one turns N transactions into one.

Every caller gets its own item's result, or the exception the batch raised (each caller
then retries its own write as before). A caller cancelled while it waits may still have
its item written by the next batch: only use this for writes that are fenced, so that a
late write either lands where it should or matches nothing. A batch once sent is
finished even if the task sending it is cancelled meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import anyio
import anyio.lowlevel

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[R]):
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupWriter(Generic[T, R]):
    """Sends queued items through ``flush`` (one call per batch, results in order)."""

    def __init__(self, flush: Callable[[Sequence[T]], Awaitable[Sequence[R]]]) -> None:
        self._flush = flush
        self._queue: list[tuple[T, _Slot[R]]] = []
        #: Set when the batch in flight is done; None when no batch is in flight.
        self._in_flight: anyio.Event | None = None
        #: Batches sent and items written, for tests and metrics.
        self.batches = 0
        self.items = 0

    async def submit(self, item: T) -> R:
        slot: _Slot[R] = _Slot()
        self._queue.append((item, slot))
        # Let the tasks that are ready now (the other jobs of one claim, say) queue
        # theirs before the first of them sends: one pass of the event loop.
        await anyio.lowlevel.checkpoint()
        while not slot.done:
            if self._in_flight is None:
                await self._send()
            else:
                # Everyone waiting wakes together when the batch lands: those it
                # carried return at once (and their next writes meet in one batch).
                await self._in_flight.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    async def _send(self) -> None:
        batch, self._queue = self._queue, []
        self._in_flight = done = anyio.Event()
        try:
            # Shielded: the task sending a batch carries the others' writes too, and
            # must not drop them half-way because its own job was cancelled (it sees
            # the cancellation as soon as the batch is written).
            with anyio.CancelScope(shield=True):
                results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
        except Exception as exc:
            for _, slot in batch:
                slot.error, slot.done = exc, True
        else:
            self.batches += 1
            self.items += len(batch)
            for (_, slot), result in zip(batch, results, strict=True):
                slot.result, slot.done = result, True
        finally:
            self._in_flight = None
            done.set()
