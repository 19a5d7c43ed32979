"""Google Gemini ``generateContent``.

``POST {GEMINI_BASE_URL}/v1beta/models/{model}:generateContent`` with ``x-goog-api-key``
(a header, so the key never sits in a URL that a proxy might log). Structured output is
a forced function call (``toolConfig.functionCallingConfig.mode = ANY``).
"""

from __future__ import annotations

import base64
from typing import Any, Literal
from urllib.parse import quote

import msgspec

from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.providers.base import (
    ProviderClient,
    decode_json,
    parse_tool_json,
    strip_code_fence,
)
from ghosthands.llm.types import ChatRequest, ImagePart, LlmError, ModelReply, TextPart, Usage

# -- request (the REST API's field names are camelCase) ---------------------------------


class _Blob(msgspec.Struct, rename="camel"):
    mime_type: str
    data: str


class _Part(msgspec.Struct, rename="camel", omit_defaults=True):
    text: str | None = None
    inline_data: _Blob | None = None


class _Content(msgspec.Struct):
    role: Literal["user", "model"]
    parts: list[_Part]


class _SystemInstruction(msgspec.Struct):
    parts: list[_Part]


class _FunctionDeclaration(msgspec.Struct):
    name: str
    description: str
    parameters: dict[str, Any]


class _Tool(msgspec.Struct, rename="camel"):
    function_declarations: list[_FunctionDeclaration]


class _FunctionCallingConfig(msgspec.Struct, rename="camel"):
    mode: str
    allowed_function_names: list[str]


class _ToolConfig(msgspec.Struct, rename="camel"):
    function_calling_config: _FunctionCallingConfig


class _GenerationConfig(msgspec.Struct, rename="camel"):
    max_output_tokens: int
    temperature: float


class _Request(msgspec.Struct, rename="camel", omit_defaults=True):
    contents: list[_Content]
    system_instruction: _SystemInstruction
    generation_config: _GenerationConfig
    tools: list[_Tool] | None = None
    tool_config: _ToolConfig | None = None


# -- reply ------------------------------------------------------------------------------


class _UsageMetadata(msgspec.Struct, rename="camel"):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    #: Thinking models bill their thoughts as output, and tool-use prompts as input.
    thoughts_token_count: int = 0
    tool_use_prompt_token_count: int = 0


class _UsageOnly(msgspec.Struct, rename="camel"):
    usage_metadata: _UsageMetadata | None = None


class _FunctionCall(msgspec.Struct):
    name: str = ""
    args: Any = None


class _ReplyPart(msgspec.Struct, rename="camel"):
    text: str | None = None
    function_call: _FunctionCall | None = None
    thought: bool | None = None


class _ReplyContent(msgspec.Struct):
    parts: list[_ReplyPart] = []


class _Candidate(msgspec.Struct, rename="camel"):
    content: _ReplyContent | None = None
    finish_reason: str | None = None


class _PromptFeedback(msgspec.Struct, rename="camel"):
    block_reason: str | None = None


class _Reply(msgspec.Struct, rename="camel"):
    candidates: list[_Candidate] = []
    prompt_feedback: _PromptFeedback | None = None


class GeminiClient(ProviderClient):
    provider = "gemini"

    def url(self) -> str:
        model = quote(self.model.model_id, safe="")
        return f"{self._base_url}/v1beta/models/{model}:generateContent"

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._api_key}

    def encode(self, request: ChatRequest) -> bytes:
        contents = []
        for message in request.messages:
            parts: list[_Part] = []
            for part in message.parts:
                if isinstance(part, TextPart):
                    parts.append(_Part(text=part.text))
                elif isinstance(part, ImagePart):
                    data = base64.b64encode(part.data).decode()
                    parts.append(_Part(inline_data=_Blob(part.media_type, data)))
            contents.append(_Content("model" if message.role == "assistant" else "user", parts))
        body = _Request(
            contents=contents,
            system_instruction=_SystemInstruction([_Part(text=request.system)]),
            generation_config=_GenerationConfig(request.max_output_tokens, request.temperature),
        )
        if request.tool is not None:
            tool = request.tool
            body.tools = [
                _Tool([_FunctionDeclaration(tool.name, tool.description, tool.parameters)])
            ]
            body.tool_config = _ToolConfig(_FunctionCallingConfig("ANY", [tool.name]))
        return msgspec.json.encode(body)

    def read_usage(self, body: bytes) -> Usage | None:
        try:
            meta = msgspec.json.decode(body, type=_UsageOnly).usage_metadata
        except msgspec.DecodeError:
            return None
        if meta is None:
            return None
        return Usage(
            meta.prompt_token_count + meta.tool_use_prompt_token_count,
            meta.candidates_token_count + meta.thoughts_token_count,
        )

    def interpret(self, body: bytes, request: ChatRequest, usage: Usage) -> ModelReply:
        reply: _Reply = decode_json(body, _Reply, self.provider, "a reply")
        if not reply.candidates:
            reason = reply.prompt_feedback.block_reason if reply.prompt_feedback else None
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE,
                f"gemini returned no candidates (block reason: {reason or 'none given'})",
                provider=self.provider,
            )
        candidate = reply.candidates[0]
        if candidate.finish_reason not in (None, "STOP"):
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE,
                f"gemini stopped early: {candidate.finish_reason}",
                provider=self.provider,
            )
        parts = candidate.content.parts if candidate.content else []
        text = "".join(p.text or "" for p in parts if not p.thought)
        tool_input = None
        if request.tool is not None:
            calls = [
                p.function_call
                for p in parts
                if p.function_call is not None and p.function_call.name == request.tool.name
            ]
            if calls:
                if not isinstance(calls[0].args, dict):
                    raise LlmError(
                        ErrorCode.LLM_BAD_RESPONSE,
                        "gemini functionCall args is not a JSON object",
                        provider=self.provider,
                    )
                tool_input = calls[0].args
            elif text.strip():
                tool_input = parse_tool_json(strip_code_fence(text), self.provider, "text")
            else:
                raise LlmError(
                    ErrorCode.LLM_BAD_RESPONSE,
                    f"gemini reply has no functionCall of {request.tool.name}",
                    provider=self.provider,
                )
        return ModelReply(
            text=text, tool_input=tool_input, usage=usage, stop_reason=candidate.finish_reason
        )
