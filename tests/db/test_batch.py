"""GroupWriter: writes that meet in flight go out as one batch, each caller its own answer."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from ghosthands.db.batch import GroupWriter

pytestmark = pytest.mark.anyio


class Recorder:
    """A flush that records its batches; it can be held open or told to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate: anyio.Event | None = None
        self.entered = anyio.Event()
        self.error: Exception | None = None

    async def flush(self, items: Sequence[int]) -> list[str]:
        self.batches.append(list(items))
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return [f"ok-{i}" for i in items]


async def test_a_lone_write_goes_out_at_once_and_alone() -> None:
    rec = Recorder()
    writer = GroupWriter(rec.flush)
    with anyio.fail_after(1):
        assert await writer.submit(7) == "ok-7"
    assert rec.batches == [[7]]


async def test_writes_started_together_leave_together() -> None:
    rec = Recorder()
    writer = GroupWriter(rec.flush)
    results: dict[int, str] = {}

    async def submit(i: int) -> None:
        results[i] = await writer.submit(i)

    async with anyio.create_task_group() as tg:
        for i in range(5):
            tg.start_soon(submit, i)
    assert rec.batches == [[0, 1, 2, 3, 4]]
    assert results == {i: f"ok-{i}" for i in range(5)}
    assert (writer.batches, writer.items) == (1, 5)


async def test_writes_arriving_during_a_flush_go_in_the_next_one() -> None:
    rec = Recorder()
    rec.gate = anyio.Event()
    writer = GroupWriter(rec.flush)
    results: dict[int, str] = {}

    async def submit(i: int) -> None:
        results[i] = await writer.submit(i)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(submit, 1)
            await rec.entered.wait()  # batch [1] is in flight
            for i in (2, 3, 4):
                tg.start_soon(submit, i)
            await anyio.wait_all_tasks_blocked()
            rec.gate.set()
    assert rec.batches == [[1], [2, 3, 4]]
    assert results == {i: f"ok-{i}" for i in (1, 2, 3, 4)}


async def test_a_failed_batch_raises_in_every_caller() -> None:
    rec = Recorder()
    rec.error = RuntimeError("database went away")
    writer = GroupWriter(rec.flush)
    errors: list[str] = []

    async def submit(i: int) -> None:
        try:
            await writer.submit(i)
        except RuntimeError as exc:
            errors.append(f"{i}: {exc}")

    async with anyio.create_task_group() as tg:
        for i in range(3):
            tg.start_soon(submit, i)
    assert sorted(errors) == [f"{i}: database went away" for i in range(3)]
    rec.error = None
    assert await writer.submit(9) == "ok-9"  # the writer is usable afterwards


async def test_a_batch_is_finished_even_if_its_sender_is_cancelled() -> None:
    """The task that happens to send a batch carries the others' writes: its own
    cancellation (its job was cancelled) must not drop them half-way."""
    rec = Recorder()
    rec.gate = anyio.Event()
    senders: list[int] = []
    original = rec.flush

    async def flush(items: Sequence[int]) -> list[str]:
        senders.append(anyio.get_current_task().id)
        return await original(items)

    writer = GroupWriter(flush)
    scopes: dict[int, anyio.CancelScope] = {}
    results: dict[int, str] = {}

    async def submit(i: int) -> None:
        with anyio.CancelScope() as scope:
            scopes[anyio.get_current_task().id] = scope
            results[i] = await writer.submit(i)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(submit, i)
            await rec.entered.wait()  # [0, 1, 2] in flight, held open
            await anyio.wait_all_tasks_blocked()
            scopes[senders[0]].cancel()  # the task sending the batch is cancelled
            await anyio.wait_all_tasks_blocked()
            assert results == {}  # ... and the batch is still in flight, not abandoned
            rec.gate.set()
    assert rec.batches == [[0, 1, 2]]  # written once, for all three
    # Every write landed, and every caller learns so (the cancelled sender too: the
    # cancellation reaches it at its next checkpoint).
    assert results == {0: "ok-0", 1: "ok-1", 2: "ok-2"}
