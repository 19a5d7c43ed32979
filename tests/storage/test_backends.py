"""Both backends against real servers: upload, download, signed links, errors."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ghosthands.config import ConfigError, load_settings
from ghosthands.storage import (
    ObjectNotFound,
    ObjectTooLarge,
    Storage,
    StorageError,
    artifact_key,
    check_key,
    open_storage,
    parse_locator,
)
from ghosthands.storage.supabase import SupabaseStore
from tests.storage.conftest import s3_client
from tests.storage.fake_supabase import FakeSupabaseStorage

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


async def round_trip(storage: Storage) -> str:
    """Upload, read back through the resume path, sign and fetch: the signed URL."""
    user, job, artifact = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key = artifact_key(user, job, artifact, "final shot.png")
    assert key == f"{user}/{job}/{artifact}-final_shot.png"
    stored_at = await storage.put_artifact(key, PNG, "image/png")
    assert parse_locator(stored_at) == (storage.kind, storage.artifact_bucket, key)

    # Replacing works (x-upsert / put_object overwrite).
    await storage.put_artifact(key, PNG + b"!", "image/png")
    got = await storage.backend.get(storage.artifact_bucket, key, max_bytes=len(PNG) + 1)
    assert got.data == PNG + b"!" and got.content_type == "image/png"
    with pytest.raises(ObjectTooLarge):
        await storage.backend.get(storage.artifact_bucket, key, max_bytes=len(PNG))

    url = await storage.sign(stored_at)
    assert url is not None and url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient() as client:  # no credentials: the link is the grant
        answer = await client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.content == PNG + b"!"

    # Locators of another store, and plain URLs, are not this store's to sign.
    other = "supabase" if storage.kind == "s3" else "s3"
    assert await storage.sign(f"{other}://{storage.artifact_bucket}/{key}") is None
    assert await storage.sign("/api/v1/gh/jobs/x/artifacts/y") is None

    with pytest.raises(ObjectNotFound):
        await storage.backend.get(storage.artifact_bucket, f"{user}/missing.png", max_bytes=10)
    with pytest.raises(ObjectNotFound):
        await storage.get_resume(f"{user}/missing.pdf", max_bytes=10)
    return url


async def test_s3_round_trip(s3_storage: Storage, s3_env: dict[str, str]) -> None:
    url = await round_trip(s3_storage)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["600"]  # GH_SIGNED_URL_SECONDS
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    # Path-style on a custom endpoint: the bucket is in the path, not the host name.
    assert urlsplit(url).path.startswith(f"/{s3_env['GH_S3_BUCKET']}/")
    listed = s3_client(s3_env["GH_S3_ENDPOINT_URL"]).list_objects_v2(Bucket=s3_env["GH_S3_BUCKET"])
    assert [o["Size"] for o in listed["Contents"]] == [len(PNG) + 1]


async def test_supabase_round_trip(
    supabase_storage: Storage, supabase_server: tuple[FakeSupabaseStorage, str]
) -> None:
    fake, base = supabase_server
    url = await round_trip(supabase_storage)
    assert url.startswith(f"{base}/storage/v1/object/sign/gh-artifacts/")
    # Signed for GH_SIGNED_URL_SECONDS; every keyed request carried the service key.
    assert {grant[3] for grant in fake.tokens.values()} == {600}
    assert all(ok for _, _, ok in fake.requests)
    [(bucket, key)] = fake.objects
    assert bucket == "gh-artifacts" and fake.objects[(bucket, key)].content_type == "image/png"


async def test_supabase_with_a_wrong_key_is_refused(
    supabase_server: tuple[FakeSupabaseStorage, str],
) -> None:
    fake, base = supabase_server
    store = SupabaseStore(base, "not-the-service-key")
    try:
        with pytest.raises(StorageError, match="answered 400: invalid signature") as caught:
            await store.put("gh-artifacts", "u/x.png", PNG, "image/png")
        assert "not-the-service-key" not in str(caught.value)
    finally:
        await store.aclose()
    assert fake.objects == {} and fake.requests[-1][2] is False


async def test_s3_missing_bucket_and_unreachable_store_are_storage_errors(
    s3_env: dict[str, str],
) -> None:
    storage = open_storage(load_settings({**s3_env, "GH_S3_BUCKET": "no-such-bucket-here"}))
    assert storage is not None
    try:
        with pytest.raises(StorageError):
            await storage.put_artifact("u/x.png", PNG, "image/png")
    finally:
        await storage.aclose()
    with_closed_port = {**s3_env, "GH_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    storage = open_storage(load_settings({**with_closed_port, "GH_STORAGE_TIMEOUT_SECONDS": "2"}))
    assert storage is not None
    try:
        with pytest.raises(StorageError, match="EndpointConnectionError"):
            await storage.put_artifact("u/x.png", PNG, "image/png")
    finally:
        await storage.aclose()


@pytest.mark.parametrize(
    "key",
    [
        "/abs/x.pdf",
        "a/../b.pdf",
        "a//b.pdf",
        "./a.pdf",
        "a/.",
        "a\\b.pdf",
        "a/\x00b",
        "",
        "x" * 1025,
    ],
)
def test_path_like_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_settings_choose_the_store() -> None:
    assert open_storage(load_settings({})) is None  # default: artifacts in the database
    with pytest.raises(ConfigError, match="GH_STORAGE_BUCKET: is required"):
        load_settings({"GH_STORAGE_BACKEND": "s3"})
    with pytest.raises(ConfigError, match="SUPABASE_SERVICE_KEY: is required"):
        load_settings(
            {
                "GH_STORAGE_BACKEND": "supabase",
                "GH_STORAGE_BUCKET": "gh-artifacts",
                "SUPABASE_URL": "https://x.supabase.co",
            }
        )
    with pytest.raises(ConfigError, match="AWS_SECRET_ACCESS_KEY"):
        load_settings({"GH_STORAGE_BACKEND": "s3", "GH_S3_BUCKET": "b-1", "AWS_ACCESS_KEY_ID": "k"})
    settings = load_settings(
        {
            "GH_STORAGE_BACKEND": "s3",
            "GH_S3_BUCKET": "bucket-1",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "very-secret-value",
        }
    )
    # The AWS keys are redacted from logs like every other secret.
    assert {"AKIAEXAMPLE", "very-secret-value"} <= set(settings.secret_values())
    storage = open_storage(settings)
    assert storage is not None and storage.kind == "s3" and storage.resume_bucket == "resumes"
    assert "very-secret-value" not in repr(storage.backend)
