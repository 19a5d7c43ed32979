"""Anthropic Messages API.

``POST {ANTHROPIC_BASE_URL}/v1/messages`` with ``x-api-key`` and ``anthropic-version``.
Structured output is a forced tool use (``tool_choice: {"type": "tool", "name": ...}``);
the reply's ``tool_use`` block carries the input as a JSON object.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import msgspec

from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.providers.base import (
    ProviderClient,
    decode_json,
    parse_tool_json,
    strip_code_fence,
)
from ghosthands.llm.types import ChatRequest, ImagePart, LlmError, ModelReply, TextPart, Usage

API_VERSION = "2023-06-01"

# -- request ----------------------------------------------------------------------------


class _ImageSource(msgspec.Struct, tag="base64", tag_field="type"):
    media_type: str
    data: str


class _TextBlock(msgspec.Struct, tag="text", tag_field="type"):
    text: str


class _ImageBlock(msgspec.Struct, tag="image", tag_field="type"):
    source: _ImageSource


class _Message(msgspec.Struct):
    role: Literal["user", "assistant"]
    content: list[_TextBlock | _ImageBlock]


class _Tool(msgspec.Struct):
    name: str
    description: str
    input_schema: dict[str, Any]


class _ToolChoice(msgspec.Struct, tag="tool", tag_field="type"):
    name: str


class _Request(msgspec.Struct, omit_defaults=True):
    model: str
    max_tokens: int
    system: str
    messages: list[_Message]
    temperature: float
    tools: list[_Tool] | None = None
    tool_choice: _ToolChoice | None = None


# -- reply ------------------------------------------------------------------------------


class _Usage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _UsageOnly(msgspec.Struct):
    usage: _Usage | None = None


class _Block(msgspec.Struct):
    type: str
    text: str | None = None
    name: str | None = None
    input: Any = None


class _Reply(msgspec.Struct):
    content: list[_Block]
    stop_reason: str | None = None


class AnthropicClient(ProviderClient):
    provider = "anthropic"

    def url(self) -> str:
        return f"{self._base_url}/v1/messages"

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key, "anthropic-version": API_VERSION}

    def encode(self, request: ChatRequest) -> bytes:
        messages = []
        for message in request.messages:
            blocks: list[_TextBlock | _ImageBlock] = []
            for part in message.parts:
                if isinstance(part, TextPart):
                    blocks.append(_TextBlock(part.text))
                elif isinstance(part, ImagePart):
                    data = base64.b64encode(part.data).decode()
                    blocks.append(_ImageBlock(_ImageSource(part.media_type, data)))
            messages.append(_Message(message.role, blocks))
        body = _Request(
            model=self.model.model_id,
            max_tokens=request.max_output_tokens,
            system=request.system,
            messages=messages,
            temperature=request.temperature,
        )
        if request.tool is not None:
            tool = request.tool
            body.tools = [_Tool(tool.name, tool.description, tool.parameters)]
            body.tool_choice = _ToolChoice(tool.name)
        return msgspec.json.encode(body)

    def read_usage(self, body: bytes) -> Usage | None:
        try:
            usage = msgspec.json.decode(body, type=_UsageOnly).usage
        except msgspec.DecodeError:
            return None
        if usage is None:
            return None
        # input_tokens excludes cached prompt tokens, which are billed too.
        cached = (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
        return Usage(usage.input_tokens + cached, usage.output_tokens)

    def interpret(self, body: bytes, request: ChatRequest, usage: Usage) -> ModelReply:
        reply: _Reply = decode_json(body, _Reply, self.provider, "a reply")
        if reply.stop_reason == "max_tokens":
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE,
                f"anthropic reply was cut off at {request.max_output_tokens} output tokens",
                provider=self.provider,
            )
        text = "".join(b.text or "" for b in reply.content if b.type == "text")
        tool_input = None
        if request.tool is not None:
            uses = [
                b for b in reply.content if b.type == "tool_use" and b.name == request.tool.name
            ]
            if uses:
                if not isinstance(uses[0].input, dict):
                    raise LlmError(
                        ErrorCode.LLM_BAD_RESPONSE,
                        "anthropic tool_use input is not a JSON object",
                        provider=self.provider,
                    )
                tool_input = uses[0].input
            elif text.strip():
                tool_input = parse_tool_json(strip_code_fence(text), self.provider, "text")
            else:
                raise LlmError(
                    ErrorCode.LLM_BAD_RESPONSE,
                    f"anthropic reply has no tool_use of {request.tool.name}",
                    provider=self.provider,
                )
        return ModelReply(
            text=text, tool_input=tool_input, usage=usage, stop_reason=reply.stop_reason
        )
