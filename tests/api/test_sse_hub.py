"""The event hub holds its LISTEN connection only while some stream is open."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import anyio
import psycopg
import pytest

from ghosthands.api.sse import JobEventHub
from ghosthands.config import Settings
from ghosthands.db.pool import Database
from tests.api.conftest import Api, create_job
from tests.api.test_sse import SseReader
from tests.support import wait_until, wait_until_async
from tests.worker.helpers import insert_job

LISTENERS = (
    "SELECT count(*) AS n FROM pg_stat_activity "
    "WHERE query = 'LISTEN gh_job_event' AND datname = current_database()"
)


def listeners(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(LISTENERS).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.anyio
async def test_the_hub_listens_while_a_stream_is_open_and_stops_after(database_url: str) -> None:
    job_id = insert_job(database_url)
    db = Database(Settings(database_url=database_url), pool_size=1, name="test")
    await db.open()
    hub = JobEventHub(db, idle_seconds=0.3)
    try:
        async with anyio.create_task_group() as tg:
            await tg.start(hub.run)
            await anyio.sleep(0.2)
            assert not hub.listening and listeners(database_url) == 0  # nobody to feed

            sub = hub.subscribe(job_id)
            await wait_until_async(lambda: hub.listening, 5, "listening")
            assert listeners(database_url) == 1
            await sub.wait(0)  # the catch-up wake-up every stream gets on LISTEN
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(
                    "UPDATE gh_automation_jobs SET status = 'queued' WHERE id = %s", (job_id,)
                )
            assert await sub.wait(2), "the status change woke the stream"

            hub.unsubscribe(sub)
            await wait_until_async(lambda: not hub.listening, 5, "idle listener closed")
            await wait_until_async(lambda: listeners(database_url) == 0, 5, "LISTEN gone")

            again = hub.subscribe(uuid.uuid4())  # a new stream brings it back
            await wait_until_async(lambda: hub.listening, 5, "listening again")
            hub.unsubscribe(again)
            tg.cancel_scope.cancel()
    finally:
        await db.close()


def test_a_fresh_api_has_no_listener_until_a_stream_opens(start_api: Callable[..., Api]) -> None:
    api = start_api()
    service = api.service()
    job_id = create_job(service)["id"]
    assert listeners(api.database_url) == 0
    reader = SseReader(api, job_id)
    reader.next_event()  # the replayed creation event
    wait_until(lambda: listeners(api.database_url) == 1, 5, "the stream's listener")
    api.set_status(job_id, "queued")
    reader.until("queued", timeout=2)
