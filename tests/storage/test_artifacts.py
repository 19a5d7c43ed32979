"""Screenshots saved by the worker's own job context go to the object store; the API's
answers and the callbacks carry absolute, time-limited signed links that download them.

Real pieces throughout: a PostgreSQL database, the worker's WorkerJobContext (through
JobBench), the API app with its lifespan, the callback sender posting to a local
receiver, and the stores started by tests/storage/conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from ghosthands.api.app import create_app
from ghosthands.callbacks.sender import CallbackSender
from ghosthands.config import Settings, load_settings
from ghosthands.db.pool import Database
from ghosthands.storage import Storage, open_storage
from ghosthands.worker.testing import JobBench, TestJobContext
from tests.storage.conftest import s3_client
from tests.storage.fake_supabase import FakeSupabaseStorage
from tests.worker.helpers import Receiver

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00IHDR" + bytes(range(200)) * 20
SERVICE_SECRET = "svc-secret-for-storage-tests"
V1 = "/api/v1/gh"


def _settings(database_url: str, store_env: dict[str, str]) -> Settings:
    return load_settings(
        {
            "DATABASE_URL": database_url,
            "GH_SERVICE_SECRET": SERVICE_SECRET,
            "GH_ALLOW_PRIVATE_NETWORKS": "true",  # the callback receiver is on 127.0.0.1
            **store_env,
        }
    )


@asynccontextmanager
async def worker_side(settings: Settings) -> AsyncIterator[tuple[JobBench, Storage | None]]:
    """The worker's pieces: its database pool and object store, as ``Worker`` opens them."""
    db = Database(settings, pool_size=4, name="worker")
    storage = open_storage(settings)
    await db.open()
    try:
        yield JobBench(db, settings, storage=storage), storage
    finally:
        if storage is not None:
            await storage.aclose()
        await db.close()


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API app, its lifespan running (pool, store), called in-process as VALET."""
    app = create_app(settings, Database(settings, pool_size=2, name="api"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gh.test",
            headers={"X-GH-Service-Key": SERVICE_SECRET},
        ) as client,
    ):
        yield client


async def download(url: str) -> httpx.Response:
    """GET an absolute link with no credentials at all: the signature is the grant."""
    assert url.startswith("http://127.0.0.1:"), url
    async with httpx.AsyncClient() as client:
        return await client.get(url)


async def fail_with_callback(bench: JobBench, ctx: TestJobContext, receiver: Receiver) -> None:
    """End the job (failed) with a callback_url, so the outbox holds its callback."""
    async with bench.db.connection() as conn:
        await conn.execute(
            "UPDATE gh_automation_jobs SET callback_url = %s WHERE id = %s",
            (receiver.url, ctx.job.id),
        )
    outcome = await bench.queue.fail(
        ctx.job,
        code="captcha_blocked",
        message="blocked",
        details={},
        retryable=False,
        delay_seconds=0,
    )
    assert outcome is not None and outcome.status == "failed"


async def check_screenshot_goes_to_the_store(
    settings: Settings, stored_bytes: Any, expected_prefix: str
) -> None:
    user = uuid.uuid4()
    receiver = Receiver()
    try:
        async with worker_side(settings) as (bench, storage):
            assert storage is not None
            ctx = await bench.start("http_check", user_id=user)
            url = await ctx.save_artifact("screenshot", "final.png", "image/png", PNG)

            # The job lists the API's own URL, as without a store ...
            [row] = await ctx.artifacts()
            assert url == f"{V1}/jobs/{ctx.job.id}/artifacts/{row['id']}"
            assert (await ctx.row())["screenshot_urls"] == [url]
            # ... and the bytes live in the store, not in PostgreSQL.
            key = f"{user}/{ctx.job.id}/{row['id']}-final.png"
            assert row["content"] is None and row["size_bytes"] == len(PNG)
            assert row["storage_url"] == f"{storage.kind}://{storage.artifact_bucket}/{key}"
            assert stored_bytes(storage.artifact_bucket, key) == PNG

            await fail_with_callback(bench, ctx, receiver)
            sender = CallbackSender(bench.queue, settings, storage=storage)
            async with sender.client() as client:
                assert await sender.deliver_due(client) == 1
            [callback] = receiver.accepted
            signed = callback["json"]["screenshot_url"]
            assert signed.startswith(expected_prefix)
            answer = await download(signed)
            assert answer.status_code == 200 and answer.content == PNG

        async with api(settings) as client:
            job = (await client.get(f"{V1}/jobs/{ctx.job.id}")).json()
            [shot] = job["screenshot_urls"]
            assert shot.startswith(expected_prefix)
            assert (await download(shot)).content == PNG

            status = (await client.get(f"{V1}/valet/status/{ctx.job.id}")).json()
            [shot] = status["result"]["screenshot_urls"]
            assert shot.startswith(expected_prefix)
            assert (await download(shot)).content == PNG

            # The API's artifact URL sends its caller to a fresh signed link.
            redirect = await client.get(url)
            assert redirect.status_code == 302, redirect.text
            assert redirect.headers["location"].startswith(expected_prefix)
            assert (await download(redirect.headers["location"])).content == PNG
            # Still only for callers allowed to see the job.
            anonymous = await client.get(url, headers={"X-GH-Service-Key": ""})
            assert anonymous.status_code == 401
    finally:
        receiver.server.close()


async def test_a_screenshot_goes_to_s3_and_its_signed_links_download_it(
    database_url: str, s3_env: dict[str, str]
) -> None:
    client = s3_client(s3_env["GH_S3_ENDPOINT_URL"])

    def stored(bucket: str, key: str) -> bytes:
        obj = client.get_object(Bucket=bucket, Key=key)
        assert obj["ContentType"] == "image/png"
        body: bytes = obj["Body"].read()
        return body

    await check_screenshot_goes_to_the_store(
        _settings(database_url, s3_env),
        stored,
        f"{s3_env['GH_S3_ENDPOINT_URL']}/{s3_env['GH_S3_BUCKET']}/",
    )


async def test_a_screenshot_goes_to_supabase_and_its_signed_links_download_it(
    database_url: str,
    supabase_env: dict[str, str],
    supabase_server: tuple[FakeSupabaseStorage, str],
) -> None:
    fake, base = supabase_server

    def stored(bucket: str, key: str) -> bytes:
        obj = fake.objects[(bucket, key)]
        assert obj.content_type == "image/png"
        return obj.data

    await check_screenshot_goes_to_the_store(
        _settings(database_url, supabase_env),
        stored,
        f"{base}/storage/v1/object/sign/gh-artifacts/",
    )
    assert all(ok for _, _, ok in fake.requests)


async def test_an_unreachable_store_keeps_the_screenshot_in_the_database(
    database_url: str, s3_env: dict[str, str]
) -> None:
    down = {**s3_env, "GH_S3_ENDPOINT_URL": "http://127.0.0.1:9", "GH_STORAGE_TIMEOUT_SECONDS": "2"}
    settings = _settings(database_url, down)
    receiver = Receiver()
    try:
        async with worker_side(settings) as (bench, storage):
            ctx = await bench.start("http_check")
            url = await ctx.save_artifact("screenshot", "blocked.png", "image/png", PNG)
            [row] = await ctx.artifacts()
            assert bytes(row["content"]) == PNG and row["storage_url"] is None

            await fail_with_callback(bench, ctx, receiver)
            sender = CallbackSender(bench.queue, settings, storage=storage)
            async with sender.client() as client:
                assert await sender.deliver_due(client) == 1
            # Nothing to sign: the API's own URL, which serves the bytes.
            assert receiver.accepted[0]["json"]["screenshot_url"] == url

        async with api(settings) as client:
            assert (await client.get(f"{V1}/jobs/{ctx.job.id}")).json()["screenshot_urls"] == [url]
            served = await client.get(url)
            assert served.status_code == 200 and served.content == PNG
    finally:
        receiver.server.close()


async def test_without_a_store_artifacts_stay_in_the_database(database_url: str) -> None:
    settings = _settings(database_url, {})
    async with worker_side(settings) as (bench, storage):
        assert storage is None
        ctx = await bench.start("http_check")
        url = await ctx.save_artifact("screenshot", "final.png", "image/png", PNG)
        [row] = await ctx.artifacts()
        assert bytes(row["content"]) == PNG and row["storage_url"] is None
    async with api(settings) as client:
        assert (await client.get(f"{V1}/jobs/{ctx.job.id}")).json()["screenshot_urls"] == [url]
        served = await client.get(url)
        assert served.status_code == 200 and served.content == PNG
        health = (await client.get("/monitoring/health")).json()
        assert health["checks"]["storage"]["detail"] == "artifacts are stored in the database"
