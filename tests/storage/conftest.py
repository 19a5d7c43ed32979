"""Real object stores for the storage tests, started by the tests themselves.

- ``s3_server``: moto's S3-compatible server (server mode, a real HTTP server) on
  127.0.0.1, once per session; each test gets fresh buckets (``s3_env``).
- ``supabase_server``: :class:`FakeSupabaseStorage` (Supabase Storage's REST wire format,
  objects in memory, checking the service key) served by Hypercorn on 127.0.0.1.

``s3_env`` / ``supabase_env`` are the settings (environment variables) that point
GhostHands at them; ``s3_storage`` / ``supabase_storage`` the open stores.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ghosthands.config import load_settings
from ghosthands.sample_site.server import SiteServer
from ghosthands.storage import Storage, open_storage
from tests.storage.fake_supabase import FakeSupabaseStorage

SUPABASE_KEY = "service-role-key-for-storage-tests"
S3_ACCESS_KEY = "AKIASTORAGETESTS0000"
S3_SECRET_KEY = "s3-secret-key-for-storage-tests"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a free loopback port; its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client on the test server (to make buckets and look inside)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
    )


@pytest.fixture
def s3_env(s3_server: str) -> dict[str, str]:
    """Settings for an S3 store with two fresh buckets (artifacts, resumes)."""
    suffix = uuid.uuid4().hex[:12]
    artifacts, resumes = f"gh-artifacts-{suffix}", f"gh-resumes-{suffix}"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=artifacts)
    client.create_bucket(Bucket=resumes)
    return {
        "GH_STORAGE_BACKEND": "s3",
        "GH_S3_BUCKET": artifacts,
        "GH_RESUME_BUCKET": resumes,
        "GH_S3_ENDPOINT_URL": s3_server,
        "GH_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "GH_SIGNED_URL_SECONDS": "600",
    }


@pytest.fixture
def supabase_server() -> Iterator[tuple[FakeSupabaseStorage, str]]:
    """The fake Supabase Storage with buckets ``gh-artifacts`` and ``resumes``; its URL."""
    fake = FakeSupabaseStorage(SUPABASE_KEY, buckets={"gh-artifacts", "resumes"})
    with SiteServer(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def supabase_env(supabase_server: tuple[FakeSupabaseStorage, str]) -> dict[str, str]:
    return {
        "GH_STORAGE_BACKEND": "supabase",
        "SUPABASE_URL": supabase_server[1],
        "SUPABASE_SERVICE_KEY": SUPABASE_KEY,
        "GH_STORAGE_BUCKET": "gh-artifacts",
        "GH_RESUME_BUCKET": "resumes",
        "GH_SIGNED_URL_SECONDS": "600",
    }


async def _opened(env: dict[str, str]) -> AsyncIterator[Storage]:
    storage = open_storage(load_settings(env))
    assert storage is not None
    try:
        yield storage
    finally:
        await storage.aclose()


@pytest.fixture
async def s3_storage(s3_env: dict[str, str]) -> AsyncIterator[Storage]:
    async for storage in _opened(s3_env):
        yield storage


@pytest.fixture
async def supabase_storage(supabase_env: dict[str, str]) -> AsyncIterator[Storage]:
    async for storage in _opened(supabase_env):
        yield storage
