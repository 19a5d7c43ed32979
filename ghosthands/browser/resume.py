"""Fetch the applicant's resume: by URL through the network guard, or from GH_RESUME_DIR."""

from __future__ import annotations

import mimetypes
import os
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


async def load_resume(ref: ResumeRef, settings: Settings, guard: NetworkGuard) -> ResumeFile:
    """The resume's bytes, at most ``GH_RESUME_MAX_BYTES``; JobFailure when unavailable."""
    cap = settings.resume_max_bytes
    if ref.download_url:
        return await _download(ref, guard, cap)
    key = ref.storage_path or ref.s3_key
    if key:
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


async def _from_directory(ref: ResumeRef, key: str, settings: Settings, cap: int) -> ResumeFile:
    if not settings.resume_dir:
        raise JobFailure(
            ErrorCode.INVALID_INPUT,
            "resume.storage_path needs GH_RESUME_DIR on the worker",
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
