"""What every provider client shares: the HTTP call, retries, error mapping, metering.

A provider module only knows its wire format: where to POST, which headers, how to
encode a :class:`ChatRequest`, where the token usage sits in a reply and how to read the
answer out of it. :meth:`ProviderClient.complete` does the rest, in an order that keeps
cost control hard:

1. before each attempt the meter checks the call's worst-case price against the budget;
2. a 2xx reply's usage is read and recorded (worst case when unreadable) *before* its
   content is interpreted, so a malformed but expensive reply still counts;
3. only then is the content parsed, and a malformed one fails with ``llm_bad_response``.
"""

from __future__ import annotations

import abc
import email.utils
import math
import random
import time
from typing import Any, Protocol

import anyio
import httpx
import msgspec

from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.types import ChatRequest, ImagePart, LlmError, ModelReply, TextPart, Usage
from ghosthands.logs import get_logger

log = get_logger(__name__)

#: Statuses worth another attempt: rate limits, overload (529 is Anthropic's), gateway
#: hiccups. Everything else 4xx is our fault or the key's and fails at once.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})


class RetryPolicy(msgspec.Struct, frozen=True):
    """How hard to try. Delays grow ``base * 2^n`` (jittered) up to ``max_delay``; a
    ``Retry-After`` from the provider is honoured up to ``max_retry_after`` seconds, and
    a longer one ends the call at once (the job is retried later instead)."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2.0**attempt)
        return float(delay * (0.5 + random.random() / 2))


class CallMeter(Protocol):
    """Cost control around each model call (see :class:`ghosthands.llm.cost.CostMeter`)."""

    async def before_call(self, model: ModelSpec, worst_case: Usage) -> None:
        """Refuse (raise) when a call this expensive could cross the budget."""
        ...

    async def after_call(self, model: ModelSpec, usage: Usage, *, estimated: bool) -> None:
        """Record what a call cost; raise when the budget is now spent."""
        ...


# Conservative token estimates, for the worst-case price checked before a call. A
# byte-level BPE token covers at least one byte, and real prompts average well over two
# bytes a token (English ~4, JSON and markup ~3, CJK ~2), so bytes/2 over-counts;
# should a prompt ever beat it, the meter still stops the job after that one call.
_BYTES_PER_TOKEN = 2
_TOKENS_PER_MESSAGE = 16
_REQUEST_OVERHEAD_TOKENS = 64


def image_tokens(width: int, height: int) -> int:
    """An upper bound of what any of our providers charges for one image (≈ w·h/500;
    Anthropic charges w·h/750, OpenAI and Gemini less for a screenshot-sized image)."""
    return max(300, math.ceil(width * height / 500))


def estimate_input_tokens(request: ChatRequest) -> int:
    """A conservative count of the input tokens ``request`` will be charged for."""
    text_bytes = len(request.system.encode())
    images = 0
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                text_bytes += len(part.text.encode())
            elif isinstance(part, ImagePart):
                images += image_tokens(part.width, part.height)
    if request.tool is not None:
        text_bytes += len(msgspec.json.encode(request.tool))
    return (
        math.ceil(text_bytes / _BYTES_PER_TOKEN)
        + images
        + _TOKENS_PER_MESSAGE * (len(request.messages) + 1)
        + _REQUEST_OVERHEAD_TOKENS
    )


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the provider asks us to wait: ``retry-after-ms``, ``retry-after`` as
    seconds or as an HTTP date. None when absent or unreadable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _ErrorDetail(msgspec.Struct):
    message: str = ""


class _ErrorEnvelope(msgspec.Struct):
    """``{"error": {"message": ...}}``: the shape all three providers use for errors."""

    error: _ErrorDetail | str | None = None


def provider_error_message(body: bytes) -> str:
    """The provider's own explanation of an error, shortened; never the request."""
    try:
        envelope = msgspec.json.decode(body, type=_ErrorEnvelope)
    except msgspec.DecodeError:
        return ""
    if isinstance(envelope.error, _ErrorDetail):
        return envelope.error.message[:300]
    if isinstance(envelope.error, str):
        return envelope.error[:300]
    return ""


def decode_json(body: bytes, type_: type[Any], provider: str, what: str) -> Any:
    """Decode a reply into ``type_``; a mismatch is the provider's bad response."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise LlmError(
            ErrorCode.LLM_BAD_RESPONSE,
            f"{provider} returned {what} we cannot read: {exc}",
            provider=provider,
        ) from None


def parse_tool_json(text: str, provider: str, where: str) -> dict[str, Any]:
    """A tool call's arguments given as JSON text (OpenAI; a fallback for the others)."""
    try:
        value = msgspec.json.decode(text.strip().encode() or b"null")
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise LlmError(
            ErrorCode.LLM_BAD_RESPONSE,
            f"{provider} returned {where} that is not a JSON object",
            provider=provider,
        )
    return value


def strip_code_fence(text: str) -> str:
    """Models asked for JSON sometimes wrap it in a Markdown fence."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    return text


class ProviderClient(abc.ABC):
    """One model on one provider. Create per job (cheap); share the ``httpx`` client."""

    provider: str

    def __init__(
        self,
        model: ModelSpec,
        *,
        api_key: str,
        base_url: str,
        http: httpx.AsyncClient,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._http = http
        self._timeout = timeout
        self._retry = retry or RetryPolicy()

    # -- the wire format: what each provider module supplies --------------------------

    @abc.abstractmethod
    def url(self) -> str: ...

    @abc.abstractmethod
    def headers(self) -> dict[str, str]: ...

    @abc.abstractmethod
    def encode(self, request: ChatRequest) -> bytes: ...

    @abc.abstractmethod
    def read_usage(self, body: bytes) -> Usage | None:
        """Token usage from a 2xx body, or None when it is not there. Must not raise."""

    @abc.abstractmethod
    def interpret(self, body: bytes, request: ChatRequest, usage: Usage) -> ModelReply:
        """The answer in a 2xx body. Raises LlmError(llm_bad_response) when unusable."""

    # -- the call ------------------------------------------------------------------------

    async def complete(self, request: ChatRequest, meter: CallMeter | None = None) -> ModelReply:
        """Send ``request``; retry what is worth retrying; meter every attempt."""
        worst_case = Usage(estimate_input_tokens(request), request.max_output_tokens)
        content = self.encode(request)
        headers = {"content-type": "application/json", **self.headers()}
        attempt = 0
        delay: float | None
        while True:
            if meter is not None:
                await meter.before_call(self.model, worst_case)
            started = time.monotonic()
            try:
                response = await self._http.post(
                    self.url(), content=content, headers=headers, timeout=self._timeout
                )
            except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as exc:
                # The request went out: the provider may have run (and billed) it. Count
                # the worst case rather than let a lost reply escape the budget.
                if meter is not None:
                    await meter.after_call(self.model, worst_case, estimated=True)
                failure = self._network_failure(exc)
                delay = self._retry.backoff(attempt)
            except httpx.TransportError as exc:  # never reached the provider
                failure = self._network_failure(exc)
                delay = self._retry.backoff(attempt)
            else:
                body = response.content
                if response.is_success:
                    return await self._finish(request, body, worst_case, meter, started, attempt)
                failure, delay = self._status_failure(response, attempt)
            if attempt >= self._retry.max_retries or delay is None:
                raise failure
            log.warning(
                "llm_retry",
                provider=self.provider,
                model=self.model.model_id,
                attempt=attempt + 1,
                error_code=failure.code,
                status=failure.status,
                delay_seconds=round(delay, 3),
            )
            await anyio.sleep(delay)
            attempt += 1

    async def _finish(
        self,
        request: ChatRequest,
        body: bytes,
        worst_case: Usage,
        meter: CallMeter | None,
        started: float,
        attempt: int,
    ) -> ModelReply:
        usage = self.read_usage(body)
        estimated = usage is None
        if usage is None:
            log.warning("llm_usage_missing", provider=self.provider, model=self.model.model_id)
            usage = worst_case
        log.info(
            "llm_call",
            provider=self.provider,
            model=self.model.model_id,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            usage_estimated=estimated,
            attempts=attempt + 1,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        if meter is not None:
            await meter.after_call(self.model, usage, estimated=estimated)
        return self.interpret(body, request, usage)

    def _network_failure(self, exc: httpx.TransportError) -> LlmError:
        kind = type(exc).__name__
        return LlmError(
            ErrorCode.NETWORK_ERROR,
            f"{self.provider} could not be reached ({kind})",
            provider=self.provider,
        )

    def _status_failure(
        self, response: httpx.Response, attempt: int
    ) -> tuple[LlmError, float | None]:
        """The error for a non-2xx reply and how long to wait before retrying (None: don't)."""
        status = response.status_code
        said = provider_error_message(response.content)
        detail = f": {said}" if said else ""
        if status == 429:
            error = LlmError(
                ErrorCode.RATE_LIMITED,
                f"{self.provider} rate limit (429){detail}",
                provider=self.provider,
                status=status,
            )
        elif status in RETRY_STATUSES:
            error = LlmError(
                ErrorCode.LLM_ERROR,
                f"{self.provider} failed on its side ({status}){detail}",
                provider=self.provider,
                status=status,
                retryable=True,
            )
        else:
            hint = " (check the API key)" if status in (401, 403) else ""
            return (
                LlmError(
                    ErrorCode.LLM_ERROR,
                    f"{self.provider} refused the call ({status}){hint}{detail}",
                    provider=self.provider,
                    status=status,
                    retryable=False,
                ),
                None,
            )
        asked = parse_retry_after(response.headers)
        if asked is None:
            return error, self._retry.backoff(attempt)
        if asked > self._retry.max_retry_after:
            log.warning(
                "llm_retry_after_too_long",
                provider=self.provider,
                status=status,
                retry_after_seconds=round(asked, 1),
            )
            return error, None
        return error, asked
