"""Fetch the applicant's resume: by URL through the network guard, from the object store
(GH_STORAGE_BACKEND), or from GH_RESUME_DIR.

A ``storage_path`` or ``s3_key`` names an object in ``GH_RESUME_BUCKET`` when an object
store is configured, else a file under ``GH_RESUME_DIR``. In the store a key must lie in
the job's user's own folder: ``<user_id>/...`` (Supabase Storage's usual layout) or
``<folder>/<user_id>/...`` (VALET's ``resumes/<user_id>/<file>`` keys); anything else,
``..`` segments and absolute keys fail the job with ``invalid_input``, so one user's job
can never upload another user's resume.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import anyio
import httpx
import msgspec

from ghosthands.browser.forms import ResumeFile
from ghosthands.browser.guard import GuardBlocked, NetworkGuard
from ghosthands.config import Settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger
from ghosthands.storage import ObjectNotFound, ObjectTooLarge, Storage, StorageError, check_key

log = get_logger(__name__)


class ResumeRef(msgspec.Struct, forbid_unknown_fields=False):
    """Where VALET keeps the resume (SPEC §4): one of the three locations."""

    storage_path: str | None = None
    s3_key: str | None = None
    download_url: str | None = None
    filename: str | None = None
    content_type: str | None = None
    #: The spelling of ``POST /valet/apply`` (``ghosthands.api.schemas.ResumeRef``).
    file_name: str | None = None

    def __post_init__(self) -> None:
        self.filename = self.filename or self.file_name


def _name_and_type(ref: ResumeRef, fallback_path: str) -> tuple[str, str]:
    name = ref.filename or PurePosixPath(unquote(fallback_path)).name or "resume.pdf"
    content_type = ref.content_type or mimetypes.guess_type(name)[0] or "application/pdf"
    return name, content_type


async def load_resume(
    ref: ResumeRef,
    settings: Settings,
    guard: NetworkGuard,
    *,
    owner: uuid.UUID | None = None,
    storage: Storage | None = None,
) -> ResumeFile:
    """The resume's bytes, at most ``GH_RESUME_MAX_BYTES``; JobFailure when unavailable.

    ``owner`` is the job's user: a key (in ``storage``, or under ``GH_RESUME_DIR``)
    must lie in their folder.
    """
    cap = settings.resume_max_bytes
    if ref.download_url:
        return await _download(ref, guard, cap)
    field = "storage_path" if ref.storage_path else "s3_key"
    key = ref.storage_path or ref.s3_key
    if key and storage is not None:
        return await _from_store(ref, field, key, owner, storage, cap)
    if key:
        if owner is not None:  # one directory for every user: still only their folder
            key = owned_key(field, key, owner)
        return await _from_directory(ref, key, settings, cap)
    raise JobFailure(
        ErrorCode.INVALID_INPUT,
        "resume needs one of storage_path, s3_key or download_url",
        retryable=False,
    )


async def _download(ref: ResumeRef, guard: NetworkGuard, cap: int) -> ResumeFile:
    url = ref.download_url or ""
    try:
        await guard.check_url(url)
    except GuardBlocked as exc:
        raise JobFailure(
            ErrorCode.BLOCKED_ADDRESS,
            f"the resume URL is not allowed ({exc.reason})",
            details={"reason": exc.reason},
            retryable=False,
        ) from None
    # Through the guard proxy: every redirect hop is checked and DNS answers pinned.
    data = bytearray()
    try:
        async with (
            httpx.AsyncClient(
                proxy=guard.proxy_url, follow_redirects=True, max_redirects=5, timeout=30.0
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code == 403 and response.headers.get("x-gh-blocked"):
                raise JobFailure(
                    ErrorCode.BLOCKED_ADDRESS,
                    "the resume URL redirects somewhere the network guard refuses",
                    details={"reason": response.headers["x-gh-blocked"]},
                    retryable=False,
                )
            if response.status_code != 200:
                raise JobFailure(
                    ErrorCode.NETWORK_ERROR,
                    f"downloading the resume answered HTTP {response.status_code}",
                    details={"status": response.status_code},
                    retryable=response.status_code >= 500,
                )
            declared = int(response.headers.get("content-length") or 0)
            if declared > cap:
                raise _too_large(cap)
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > cap:
                    raise _too_large(cap)
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise JobFailure(
            ErrorCode.NETWORK_ERROR, f"downloading the resume failed: {type(exc).__name__}"
        ) from None
    if not data:
        raise JobFailure(ErrorCode.INVALID_INPUT, "the resume download is empty", retryable=False)
    name, guessed = _name_and_type(ref, urlsplit(url).path)
    if not ref.content_type and content_type and content_type != "application/octet-stream":
        guessed = content_type
    log.info("resume_downloaded", size=len(data), content_type=guessed)
    return ResumeFile(name, guessed, bytes(data))


def _looks_like_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def owned_key(field: str, key: str, owner: uuid.UUID | None) -> str:
    """``key`` when it names an object in ``owner``'s own folder; JobFailure otherwise."""

    def refuse(reason: str, why: str) -> JobFailure:
        return JobFailure(
            ErrorCode.INVALID_INPUT,
            f"resume.{field} {why}",
            details={"field": f"resume.{field}", "reason": reason},
            retryable=False,
        )

    try:
        check_key(key)
    except ValueError as exc:
        raise refuse("invalid_key", str(exc)) from None
    if owner is None:
        raise refuse("no_owner", "cannot be checked: the job has no user")
    segments = key.split("/")
    mine = str(owner).lower()
    if segments[0].lower() == mine and len(segments) >= 2:
        return key
    if len(segments) >= 3 and not _looks_like_uuid(segments[0]) and segments[1].lower() == mine:
        return key
    raise refuse(
        "not_owned",
        "must lie in the job's user's own folder (<user_id>/... or <folder>/<user_id>/...)",
    )


async def _from_store(
    ref: ResumeRef,
    field: str,
    key: str,
    owner: uuid.UUID | None,
    storage: Storage,
    cap: int,
) -> ResumeFile:
    key = owned_key(field, key, owner)
    try:
        stored = await storage.get_resume(key, max_bytes=cap)
    except ObjectNotFound:
        raise JobFailure(
            ErrorCode.INVALID_INPUT,
            f"the resume resume.{field} names does not exist in the {storage.kind} store "
            f"(bucket {storage.resume_bucket})",
            details={"field": f"resume.{field}", "reason": "not_found"},
            retryable=False,
        ) from None
    except ObjectTooLarge:
        raise _too_large(cap) from None
    except StorageError as exc:
        raise JobFailure(
            ErrorCode.NETWORK_ERROR, f"reading the resume from the object store failed: {exc}"
        ) from None
    if not stored.data:
        raise JobFailure(ErrorCode.INVALID_INPUT, "the stored resume is empty", retryable=False)
    name, content_type = _name_and_type(ref, key)
    if (
        not ref.content_type
        and stored.content_type
        and stored.content_type not in ("application/octet-stream", "binary/octet-stream")
    ):
        content_type = stored.content_type
    log.info("resume_loaded", store=storage.kind, size=len(stored.data), content_type=content_type)
    return ResumeFile(name, content_type, stored.data)


async def _from_directory(ref: ResumeRef, key: str, settings: Settings, cap: int) -> ResumeFile:
    if not settings.resume_dir:
        raise JobFailure(
            ErrorCode.INVALID_INPUT,
            "resume.storage_path needs an object store (GH_STORAGE_BACKEND) or "
            "GH_RESUME_DIR on the worker",
            retryable=False,
        )
    root = Path(await anyio.Path(settings.resume_dir).resolve())
    path = Path(await anyio.Path(root / key.lstrip("/")).resolve())
    if not path.is_relative_to(root):
        raise JobFailure(
            ErrorCode.INVALID_INPUT, "resume path leaves GH_RESUME_DIR", retryable=False
        )
    try:
        size = (await anyio.Path(path).stat()).st_size
        if size > cap:
            raise _too_large(cap)
        data = await anyio.Path(path).read_bytes()
    except FileNotFoundError:
        raise JobFailure(
            ErrorCode.INVALID_INPUT, "the resume file does not exist", retryable=False
        ) from None
    except OSError as exc:
        raise JobFailure(
            ErrorCode.INTERNAL_ERROR, f"reading the resume failed: {exc.strerror}"
        ) from None
    name, content_type = _name_and_type(ref, os.fspath(path))
    return ResumeFile(name, content_type, data)


def _too_large(cap: int) -> JobFailure:
    return JobFailure(
        ErrorCode.INVALID_INPUT,
        f"the resume is larger than {cap} bytes (GH_RESUME_MAX_BYTES)",
        retryable=False,
    )
