"""OpenAI-compatible chat completions (OpenAI, and Qwen, DeepSeek, vLLM, gateways...).

``POST {OPENAI_BASE_URL}/chat/completions`` with ``Authorization: Bearer <key>``.
Structured output goes through a forced function call (``tools`` + ``tool_choice``):
the most widely implemented way across compatible servers (DeepSeek, for one, has no
``json_schema`` response format).

OpenAI's reasoning models (``o1``, ``o3``, ``o4-mini``, ``gpt-5``...) refuse
``max_tokens`` and any ``temperature`` but the default: they get
``max_completion_tokens`` and no temperature. Every other model keeps ``max_tokens``,
which compatible servers (vLLM, DeepSeek, Qwen's) all accept.
"""

from __future__ import annotations

import base64
import re
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

# -- request ----------------------------------------------------------------------------


class _ImageURL(msgspec.Struct):
    url: str


class _TextContent(msgspec.Struct, tag="text", tag_field="type"):
    text: str


class _ImageContent(msgspec.Struct, tag="image_url", tag_field="type"):
    image_url: _ImageURL


class _Message(msgspec.Struct):
    role: Literal["system", "user", "assistant"]
    content: str | list[_TextContent | _ImageContent]


class _Function(msgspec.Struct):
    name: str
    description: str
    parameters: dict[str, Any]


class _Tool(msgspec.Struct, tag="function", tag_field="type"):
    function: _Function


class _FunctionName(msgspec.Struct):
    name: str


class _ToolChoice(msgspec.Struct, tag="function", tag_field="type"):
    function: _FunctionName


class _Request(msgspec.Struct, omit_defaults=True):
    model: str
    messages: list[_Message]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    tools: list[_Tool] | None = None
    tool_choice: _ToolChoice | None = None


#: Model ids of OpenAI's reasoning models (optionally behind a gateway prefix "openai/").
_REASONING = re.compile(r"^(?:openai/)?(?:o\d|gpt-5)")


def is_reasoning_model(model_id: str) -> bool:
    return _REASONING.match(model_id) is not None


# -- reply ------------------------------------------------------------------------------


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _UsageOnly(msgspec.Struct):
    usage: _Usage | None = None


class _CalledFunction(msgspec.Struct):
    name: str = ""
    arguments: str = ""


class _ToolCall(msgspec.Struct):
    function: _CalledFunction


class _ReplyMessage(msgspec.Struct):
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(msgspec.Struct):
    message: _ReplyMessage
    finish_reason: str | None = None


class _Reply(msgspec.Struct):
    choices: list[_Choice]


class OpenAIClient(ProviderClient):
    provider = "openai"

    def url(self) -> str:
        return f"{self._base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._api_key}"}

    def encode(self, request: ChatRequest) -> bytes:
        messages = [_Message("system", request.system)]
        for message in request.messages:
            content: list[_TextContent | _ImageContent] = []
            for part in message.parts:
                if isinstance(part, TextPart):
                    content.append(_TextContent(part.text))
                elif isinstance(part, ImagePart):
                    data = base64.b64encode(part.data).decode()
                    content.append(
                        _ImageContent(_ImageURL(f"data:{part.media_type};base64,{data}"))
                    )
            messages.append(_Message(message.role, content))
        body = _Request(model=self.model.model_id, messages=messages)
        if is_reasoning_model(self.model.model_id):
            body.max_completion_tokens = request.max_output_tokens
        else:
            body.max_tokens = request.max_output_tokens
            body.temperature = request.temperature
        if request.tool is not None:
            tool = request.tool
            body.tools = [_Tool(_Function(tool.name, tool.description, tool.parameters))]
            body.tool_choice = _ToolChoice(_FunctionName(tool.name))
        return msgspec.json.encode(body)

    def read_usage(self, body: bytes) -> Usage | None:
        try:
            usage = msgspec.json.decode(body, type=_UsageOnly).usage
        except msgspec.DecodeError:
            return None
        if usage is None:
            return None
        return Usage(usage.prompt_tokens, usage.completion_tokens)

    def interpret(self, body: bytes, request: ChatRequest, usage: Usage) -> ModelReply:
        reply: _Reply = decode_json(body, _Reply, self.provider, "a reply")
        if not reply.choices:
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE, "openai returned no choices", provider=self.provider
            )
        choice = reply.choices[0]
        if choice.finish_reason == "length":
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE,
                f"openai reply was cut off at {request.max_output_tokens} output tokens",
                provider=self.provider,
            )
        text = choice.message.content or ""
        tool_input = None
        if request.tool is not None:
            calls = [
                c for c in choice.message.tool_calls or [] if c.function.name == request.tool.name
            ]
            if calls:
                tool_input = parse_tool_json(
                    calls[0].function.arguments, self.provider, "tool arguments"
                )
            elif text.strip():
                # Some compatible servers answer a forced tool call with JSON as text.
                tool_input = parse_tool_json(strip_code_fence(text), self.provider, "text")
            else:
                raise LlmError(
                    ErrorCode.LLM_BAD_RESPONSE,
                    f"openai reply has no call to {request.tool.name}",
                    provider=self.provider,
                )
        return ModelReply(
            text=text, tool_input=tool_input, usage=usage, stop_reason=choice.finish_reason
        )
