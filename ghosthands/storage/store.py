"""The configured object store with GhostHands's buckets and link lifetime.

:func:`open_storage` builds it from the settings (None when artifacts stay in the
database); a role owns it and closes it on the way out. Artifacts go to
``GH_STORAGE_BUCKET`` under ``<user_id>/<job_id>/``; resumes are read from
``GH_RESUME_BUCKET``; signed links last ``GH_SIGNED_URL_SECONDS``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence

import anyio

from ghosthands.config import Settings
from ghosthands.logs import get_logger
from ghosthands.storage.base import (
    ObjectStore,
    StorageError,
    StoredObject,
    check_key,
    locator,
    parse_locator,
)

log = get_logger(__name__)


def artifact_key(user_id: uuid.UUID, job_id: uuid.UUID, artifact_id: uuid.UUID, name: str) -> str:
    """Where an artifact goes in the artifact bucket: under its user, then its job."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100].lstrip(".") or "artifact"
    return f"{user_id}/{job_id}/{artifact_id}-{safe}"


class Storage:
    """One backend plus the buckets and link lifetime GhostHands uses it with."""

    def __init__(
        self,
        backend: ObjectStore,
        *,
        artifact_bucket: str,
        resume_bucket: str,
        signed_url_seconds: int = 3600,
    ) -> None:
        self.backend = backend
        self.artifact_bucket = artifact_bucket
        self.resume_bucket = resume_bucket
        self.signed_url_seconds = signed_url_seconds

    @property
    def kind(self) -> str:
        return self.backend.kind

    async def put_artifact(self, key: str, data: bytes, content_type: str) -> str:
        """Upload an artifact; return its locator (what ``gh_artifacts.storage_url`` holds)."""
        await self.backend.put(self.artifact_bucket, check_key(key), data, content_type)
        return locator(self.kind, self.artifact_bucket, key)

    async def get_resume(self, key: str, *, max_bytes: int) -> StoredObject:
        """A resume from the resume bucket (``key`` already confined by the caller)."""
        return await self.backend.get(self.resume_bucket, check_key(key), max_bytes=max_bytes)

    async def sign(self, stored_at: str) -> str | None:
        """An absolute, time-limited URL for a locator of this store; None for anything
        else (an object of another store, a plain URL)."""
        parsed = self._own(stored_at)
        if parsed is None:
            return None
        return await self.backend.signed_url(parsed[0], parsed[1], self.signed_url_seconds)

    async def sign_urls(self, urls: Sequence[str], stored: Mapping[str, str]) -> list[str]:
        """``urls`` with each one found in ``stored`` (API artifact URL -> locator)
        replaced by a signed URL. A URL that cannot be signed stays as it was: the API
        still serves it, so an unreachable store never breaks an answer or a callback."""
        signed = list(urls)

        async def one(i: int, stored_at: str) -> None:
            try:
                url = await self.sign(stored_at)
            except StorageError as exc:
                log.warning("artifact_sign_failed", error=str(exc))
                return
            if url is not None:
                signed[i] = url

        async with anyio.create_task_group() as tg:
            for i, url in enumerate(urls):
                if url in stored:
                    tg.start_soon(one, i, stored[url])
        return signed

    async def aclose(self) -> None:
        await self.backend.aclose()

    def _own(self, stored_at: str) -> tuple[str, str] | None:
        parsed = parse_locator(stored_at)
        if parsed is None or parsed[0] != self.kind:
            return None
        return parsed[1], parsed[2]


def open_storage(settings: Settings) -> Storage | None:
    """The store the settings choose, or None (``GH_STORAGE_BACKEND=database``).

    Opens no connection: the first request does.
    """
    backend: ObjectStore
    if settings.object_store is None:
        return None
    if settings.object_store == "s3":
        from ghosthands.storage.s3 import S3Store  # boto3 only for those who use it

        backend = S3Store(
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.aws_access_key_id,
            secret_access_key=settings.aws_secret_access_key,
            session_token=settings.aws_session_token,
            timeout_seconds=settings.storage_timeout_seconds,
        )
    else:
        from ghosthands.storage.supabase import SupabaseStore

        settings.require("supabase_url", "supabase_service_key")
        assert settings.supabase_url is not None and settings.supabase_service_key is not None
        backend = SupabaseStore(
            settings.supabase_url,
            settings.supabase_service_key,
            timeout_seconds=settings.storage_timeout_seconds,
        )
    settings.require("storage_bucket")
    assert settings.storage_bucket is not None
    return Storage(
        backend,
        artifact_bucket=settings.storage_bucket,
        resume_bucket=settings.resume_bucket,
        signed_url_seconds=settings.signed_url_seconds,
    )
