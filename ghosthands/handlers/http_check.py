"""``http_check``: GET the target and record status code, final URL and page title.

Needs no browser, so the queue, retries and callbacks can be exercised on their own.
The request goes through the network guard (no private or metadata addresses unless
``GH_ALLOW_PRIVATE_NETWORKS``), redirects included.
"""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar

import httpx
import msgspec

from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.netguard import BlockedAddressError, guarded_client

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
#: Only the start of the body is read: the title is in <head>.
MAX_BODY_BYTES = 256 * 1024


class HttpCheckInput(msgspec.Struct, forbid_unknown_fields=False):
    #: Seconds for the whole request (the job's own timeout still applies).
    timeout_seconds: float = 15.0
    follow_redirects: bool = True
    #: Status codes counted as success; others fail the job as network_error.
    expect_status: list[int] | None = None


def page_title(body: bytes) -> str | None:
    match = _TITLE.search(body)
    if not match:
        return None
    text = match.group(1).decode("utf-8", errors="replace")
    return " ".join(html.unescape(text).split()) or None


class HttpCheckHandler:
    job_type: ClassVar[str] = "http_check"
    input_type: ClassVar[type[msgspec.Struct]] = HttpCheckInput
    needs_browser: ClassVar[bool] = False

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, HttpCheckInput)
        url = ctx.job.target_url
        await ctx.progress("navigating", url=url)
        try:
            async with guarded_client(
                allow_private=self.allow_private,
                timeout=params.timeout_seconds,
                follow_redirects=params.follow_redirects,
            ) as client:
                async with client.stream("GET", url) as response:
                    body = b""
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) >= MAX_BODY_BYTES:
                            break
        except BlockedAddressError as exc:
            raise JobFailure(ErrorCode.BLOCKED_ADDRESS, str(exc), retryable=False) from None
        except httpx.TimeoutException as exc:
            raise JobFailure(ErrorCode.NETWORK_ERROR, f"timed out: {exc}") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise JobFailure(
                ErrorCode.INVALID_INPUT, f"bad target_url: {exc}", retryable=False
            ) from None
        except httpx.HTTPError as exc:
            raise JobFailure(
                ErrorCode.NETWORK_ERROR, f"{url} unreachable: {type(exc).__name__}: {exc}"
            ) from None
        result = {
            "status_code": response.status_code,
            "final_url": str(response.url),
            "title": page_title(body),
            "redirects": len(response.history),
        }
        if params.expect_status is not None and response.status_code not in params.expect_status:
            raise JobFailure(
                ErrorCode.NETWORK_ERROR,
                f"{url} answered {response.status_code}",
                details=result,
            )
        await ctx.progress("checked", status_code=response.status_code)
        return HandlerResult(
            result_data=result, summary=f"{response.status_code} {result['final_url']}"
        )
