"""The provider-neutral shape of a model call: request, reply, usage, errors.

Each provider module translates a :class:`ChatRequest` into its own wire format and its
reply back into a :class:`ModelReply`; nothing above ``providers/`` sees a wire format.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode


class TextPart(msgspec.Struct, frozen=True, tag="text"):
    text: str


class ImagePart(msgspec.Struct, frozen=True, tag="image"):
    """An image for a vision model. Width and height let the cost meter price it."""

    data: bytes
    media_type: str
    width: int
    height: int


Part = TextPart | ImagePart


class Message(msgspec.Struct, frozen=True):
    role: Literal["user", "assistant"]
    parts: tuple[Part, ...]


class ToolSpec(msgspec.Struct, frozen=True):
    """A function the model must call: how we get structured output from every provider.

    ``parameters`` is a JSON schema kept to the subset all three providers accept
    (no ``additionalProperties``, ``oneOf`` or ``$ref``).
    """

    name: str
    description: str
    parameters: dict[str, Any]


class ChatRequest(msgspec.Struct, frozen=True):
    system: str
    messages: tuple[Message, ...]
    #: When set, the model is forced to call this tool and the reply carries its input.
    tool: ToolSpec | None = None
    #: Hard cap on output tokens: also the output half of the worst-case price.
    max_output_tokens: int = 1024
    temperature: float = 0.0


class Usage(msgspec.Struct, frozen=True):
    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class ModelReply(msgspec.Struct, frozen=True):
    """What the model answered. ``tool_input`` is set when the request named a tool."""

    text: str
    tool_input: dict[str, Any] | None
    usage: Usage
    stop_reason: str | None = None


class LlmError(JobFailure):
    """A model call failed. Its ``code`` is one of the job error codes.

    ``rate_limited`` and ``network_error`` are retryable at the job level; ``llm_error``
    is retryable only when the provider kept failing on its side (5xx); a malformed
    reply (``llm_bad_response``) is not retried, since a retry costs money again.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        details: dict[str, Any] = {"provider": provider}
        if status is not None:
            details["status"] = status
        super().__init__(code, message, details=details, retryable=retryable)
        self.provider = provider
        self.status = status
