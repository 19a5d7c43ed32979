"""Turn whatever a handler raised into an error code (SPEC §5) and a retry decision."""

from __future__ import annotations

import httpx
import msgspec

from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import RETRYABLE_CODES, ErrorCode
from ghosthands.netguard import BlockedAddressError

#: Exception class names from libraries we do not import here (Playwright, Patchright).
_BY_CLASS_NAME: dict[str, ErrorCode] = {
    "TargetClosedError": ErrorCode.BROWSER_CRASHED,
    "BrowserClosedError": ErrorCode.BROWSER_CRASHED,
}


def classify(exc: BaseException) -> JobFailure:
    """A JobFailure for ``exc``: itself when it is one, else the best-matching code."""
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return classify(exc.exceptions[0])
    if isinstance(exc, JobFailure):
        return exc
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    code = ErrorCode.INTERNAL_ERROR
    if isinstance(exc, BlockedAddressError):
        code = ErrorCode.BLOCKED_ADDRESS
    elif isinstance(exc, TimeoutError | httpx.TimeoutException):
        code = ErrorCode.TIMEOUT
    elif isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code == 429:
        code = ErrorCode.RATE_LIMITED
    elif isinstance(exc, httpx.TransportError | ConnectionError):
        code = ErrorCode.NETWORK_ERROR
    elif isinstance(exc, msgspec.ValidationError):
        code = ErrorCode.INVALID_INPUT
    else:
        for cls in type(exc).__mro__:
            if cls.__name__ in _BY_CLASS_NAME:
                code = _BY_CLASS_NAME[cls.__name__]
                break
    return JobFailure(code, message, details={"exception": type(exc).__name__})


def is_retryable(failure: JobFailure) -> bool:
    """The failure's own decision when it made one, else its code's default."""
    if failure.retryable is not None:
        return failure.retryable
    return failure.code in RETRYABLE_CODES
