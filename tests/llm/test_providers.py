"""Each provider client against a local server speaking that provider's wire format.

Requests are checked field by field (auth headers included); replies cover success,
429-then-success, refusals, server errors and malformed bodies, whose usage must be
metered before the body is rejected.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ghosthands.config import load_settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.providers import (
    AnthropicClient,
    GeminiClient,
    OpenAIClient,
    ProviderClient,
    RetryPolicy,
    open_client,
)
from ghosthands.llm.providers.base import estimate_input_tokens
from ghosthands.llm.types import (
    ChatRequest,
    ImagePart,
    LlmError,
    Message,
    TextPart,
    ToolSpec,
    Usage,
)
from tests.llm.conftest import LocalServer, Recorded, Reply, Responder
from tests.support import free_port

pytestmark = pytest.mark.anyio

KEY = "test-key-0123456789"
SYSTEM = "You drive a browser."
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TOOL = ToolSpec(
    name="next_actions",
    description="The next browser actions.",
    parameters={
        "type": "object",
        "properties": {"thought": {"type": "string"}, "actions": {"type": "array"}},
        "required": ["thought", "actions"],
    },
)
REQUEST = ChatRequest(
    system=SYSTEM,
    messages=(
        Message(
            "user",
            (TextPart("Task: apply. Page: [0] button 'Next'"), ImagePart(PNG, "image/png", 1, 1)),
        ),
    ),
    tool=TOOL,
    max_output_tokens=300,
)
ANSWER = {"thought": "click next", "actions": [{"action": "click", "index": 0}]}
FAST = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.05, max_retry_after=5)


class RecordingMeter:
    """A CallMeter that only writes down what it was asked."""

    def __init__(self) -> None:
        self.checked: list[Usage] = []
        self.recorded: list[tuple[Usage, bool]] = []

    async def before_call(self, model: ModelSpec, worst_case: Usage) -> None:
        self.checked.append(worst_case)

    async def after_call(self, model: ModelSpec, usage: Usage, *, estimated: bool) -> None:
        self.recorded.append((usage, estimated))


@dataclass
class Wire:
    """One provider's wire format, as the test server speaks it."""

    name: str
    client: type[ProviderClient]
    model: ModelSpec
    base_path: str
    success: Callable[[dict[str, Any]], dict[str, Any]]
    #: A 200 body with usage 1200/80 but no usable answer.
    malformed: dict[str, Any]
    check_request: Callable[[Recorded], None]


def _openai_success(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "next_actions", "arguments": json.dumps(answer)},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280},
    }


def _openai_check(request: Recorded) -> None:
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert "x-api-key" not in request.headers
    body = request.json()
    assert set(body) == {"model", "messages", "max_tokens", "temperature", "tools", "tool_choice"}
    assert body["model"] == "gpt-4o-mini"
    assert body["max_tokens"] == 300
    assert body["temperature"] == 0.0
    assert body["messages"] == [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Task: apply. Page: [0] button 'Next'"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG).decode()},
                },
            ],
        },
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "next_actions",
                "description": TOOL.description,
                "parameters": TOOL.parameters,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "next_actions"}}


def _anthropic_success(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku-latest",
        "content": [
            {"type": "text", "text": "Clicking next."},
            {"type": "tool_use", "id": "toolu_1", "name": "next_actions", "input": answer},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 1200, "output_tokens": 80},
    }


def _anthropic_check(request: Recorded) -> None:
    assert request.method == "POST"
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    body = request.json()
    assert set(body) == {
        "model", "max_tokens", "system", "messages", "temperature", "tools", "tool_choice",
    }  # fmt: skip
    assert body["model"] == "claude-3-5-haiku-latest"
    assert body["max_tokens"] == 300
    assert body["system"] == SYSTEM
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Task: apply. Page: [0] button 'Next'"},
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/png",
                        "data": base64.b64encode(PNG).decode(),
                    },
                },
            ],
        }
    ]
    assert body["tools"] == [
        {"name": "next_actions", "description": TOOL.description, "input_schema": TOOL.parameters}
    ]
    assert body["tool_choice"] == {"type": "tool", "name": "next_actions"}


def _gemini_success(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {
                    "parts": [{"functionCall": {"name": "next_actions", "args": answer}}],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 1200,
            "candidatesTokenCount": 60,
            "thoughtsTokenCount": 20,
            "totalTokenCount": 1280,
        },
        "modelVersion": "gemini-2.0-flash",
    }


def _gemini_check(request: Recorded) -> None:
    assert request.method == "POST"
    assert request.path == "/v1beta/models/gemini-2.0-flash:generateContent"  # no ?key=
    assert request.headers["x-goog-api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    body = request.json()
    assert set(body) == {
        "contents", "systemInstruction", "generationConfig", "tools", "toolConfig",
    }  # fmt: skip
    assert body["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "Task: apply. Page: [0] button 'Next'"},
                {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}},
            ],
        }
    ]
    assert body["systemInstruction"] == {"parts": [{"text": SYSTEM}]}
    assert body["generationConfig"] == {"maxOutputTokens": 300, "temperature": 0.0}
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "next_actions",
                    "description": TOOL.description,
                    "parameters": TOOL.parameters,
                }
            ]
        }
    ]
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["next_actions"]}
    }


WIRES = [
    Wire(
        "openai",
        OpenAIClient,
        ModelSpec("gpt-4o-mini", "openai", "gpt-4o-mini", True, 0.15, 0.60),
        "/v1",
        _openai_success,
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "type": "function",
                                "function": {
                                    "name": "next_actions",
                                    "arguments": '{"thought": "x", "act',
                                },
                            }
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 80},
        },
        _openai_check,
    ),
    Wire(
        "anthropic",
        AnthropicClient,
        ModelSpec("claude-haiku", "anthropic", "claude-3-5-haiku-latest", True, 0.80, 4.00),
        "",
        _anthropic_success,
        {
            "type": "message",
            "content": [{"type": "text", "text": "I would rather not use the tool."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 1200, "output_tokens": 80},
        },
        _anthropic_check,
    ),
    Wire(
        "gemini",
        GeminiClient,
        ModelSpec("gemini-flash", "gemini", "gemini-2.0-flash", True, 0.10, 0.40),
        "",
        _gemini_success,
        {
            "candidates": [
                {"content": {"parts": [{"text": "Sure!"}], "role": "model"}, "finishReason": "STOP"}
            ],
            "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 80},
        },
        _gemini_check,
    ),
]


@pytest.fixture(params=WIRES, ids=[w.name for w in WIRES])
def wire(request: pytest.FixtureRequest) -> Wire:
    value: Wire = request.param
    return value


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def make_client(wire: Wire, server: LocalServer, http: httpx.AsyncClient) -> ProviderClient:
    return wire.client(
        wire.model,
        api_key=KEY,
        base_url=server.url + wire.base_path,
        http=http,
        timeout=5,
        retry=FAST,
    )


def scripted(*replies: Reply) -> Responder:
    """Answer with ``replies`` in order, then keep repeating the last one."""
    queue = list(replies)

    def respond(request: Recorded) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


async def test_success_request_and_reply_in_the_real_wire_format(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(scripted(Reply(200, wire.success(ANSWER))))
    meter = RecordingMeter()
    reply = await make_client(wire, server, http).complete(REQUEST, meter)

    assert len(server.posts()) == 1
    wire.check_request(server.posts()[0])
    assert reply.tool_input == ANSWER
    assert reply.usage == Usage(1200, 80)
    # Checked once against the worst case, then recorded with the real usage.
    assert meter.checked == [Usage(estimate_input_tokens(REQUEST), 300)]
    assert meter.recorded == [(Usage(1200, 80), False)]


async def test_429_then_success_honours_retry_after(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    limited = Reply(429, {"error": {"message": "slow down"}}, headers={"retry-after": "0"})
    server = local_server(scripted(limited, Reply(200, wire.success(ANSWER))))
    meter = RecordingMeter()
    reply = await make_client(wire, server, http).complete(REQUEST, meter)

    posts = server.posts()
    assert len(posts) == 2
    for post in posts:
        wire.check_request(post)
    assert posts[0].body == posts[1].body
    assert reply.tool_input == ANSWER
    # Both attempts were budget-checked; only the one that answered was paid for.
    assert len(meter.checked) == 2
    assert meter.recorded == [(Usage(1200, 80), False)]


async def test_malformed_reply_is_a_bad_response_but_its_usage_still_counts(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(scripted(Reply(200, wire.malformed)))
    meter = RecordingMeter()
    with pytest.raises(LlmError) as caught:
        await make_client(wire, server, http).complete(REQUEST, meter)

    assert caught.value.code == ErrorCode.LLM_BAD_RESPONSE
    assert caught.value.retryable is None  # the code's default: not retried
    assert caught.value.details["provider"] == wire.name
    assert len(server.posts()) == 1  # a bad answer is not silently paid for twice
    assert meter.recorded == [(Usage(1200, 80), False)]


async def test_unreadable_body_is_charged_at_the_worst_case(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(
        scripted(Reply(200, "<html>gateway says hi</html>", content_type="text/html"))
    )
    meter = RecordingMeter()
    with pytest.raises(LlmError) as caught:
        await make_client(wire, server, http).complete(REQUEST, meter)
    assert caught.value.code == ErrorCode.LLM_BAD_RESPONSE
    assert meter.recorded == [(Usage(estimate_input_tokens(REQUEST), 300), True)]


async def test_rejected_key_fails_at_once_without_retry(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(scripted(Reply(401, {"error": {"message": "invalid x-api-key"}})))
    meter = RecordingMeter()
    with pytest.raises(LlmError) as caught:
        await make_client(wire, server, http).complete(REQUEST, meter)
    assert caught.value.code == ErrorCode.LLM_ERROR
    assert caught.value.retryable is False
    assert caught.value.status == 401
    assert "check the API key" in caught.value.message
    assert "invalid x-api-key" in caught.value.message
    assert KEY not in caught.value.message
    assert len(server.posts()) == 1
    assert meter.recorded == []


async def test_server_errors_are_retried_then_reported_as_retryable(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(scripted(Reply(503, {"error": {"message": "overloaded"}})))
    with pytest.raises(LlmError) as caught:
        await make_client(wire, server, http).complete(REQUEST)
    assert caught.value.code == ErrorCode.LLM_ERROR
    assert caught.value.retryable is True
    assert len(server.posts()) == 1 + FAST.max_retries


async def test_a_retry_after_longer_than_we_wait_ends_the_call_as_rate_limited(
    wire: Wire, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    server = local_server(
        scripted(Reply(429, {"error": {"message": "quota"}}, headers={"retry-after": "3600"}))
    )
    with pytest.raises(LlmError) as caught:
        await make_client(wire, server, http).complete(REQUEST)
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert len(server.posts()) == 1


async def test_unreachable_provider_is_a_network_error(http: httpx.AsyncClient) -> None:
    wire = WIRES[0]
    client = wire.client(
        wire.model,
        api_key=KEY,
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        http=http,
        retry=FAST,
    )
    with pytest.raises(LlmError) as caught:
        await client.complete(REQUEST)
    assert caught.value.code == ErrorCode.NETWORK_ERROR


def test_open_client_takes_key_and_base_url_from_settings() -> None:
    settings = load_settings(
        {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/anthropic"}
    )
    model = WIRES[1].model
    client = open_client(model, settings, httpx.AsyncClient())
    assert isinstance(client, AnthropicClient)
    assert client.url() == "http://127.0.0.1:9/anthropic/v1/messages"
    assert client.headers()["x-api-key"] == KEY

    with pytest.raises(JobFailure, match="needs GOOGLE_API_KEY") as caught:
        open_client(WIRES[2].model, settings, httpx.AsyncClient())
    assert caught.value.code == ErrorCode.LLM_ERROR


@pytest.mark.parametrize("model_id", ["o3-mini", "o4-mini", "gpt-5-mini", "openai/o1"])
async def test_openai_reasoning_models_get_max_completion_tokens_and_no_temperature(
    model_id: str, local_server: Callable[[Responder], LocalServer], http: httpx.AsyncClient
) -> None:
    """OpenAI answers 400 to max_tokens or a temperature from its reasoning models."""
    server = local_server(scripted(Reply(200, _openai_success(ANSWER))))
    model = ModelSpec(f"openai:{model_id}", "openai", model_id, False, 1.10, 4.40)
    client = OpenAIClient(
        model, api_key=KEY, base_url=server.url + "/v1", http=http, timeout=5, retry=FAST
    )
    reply = await client.complete(REQUEST, RecordingMeter())
    body = server.posts()[0].json()
    assert set(body) == {"model", "messages", "max_completion_tokens", "tools", "tool_choice"}
    assert body["model"] == model_id and body["max_completion_tokens"] == 300
    assert reply.tool_input == ANSWER


@pytest.mark.parametrize("model_id", ["gpt-4o-mini", "qwen2.5-vl-72b-instruct", "deepseek-chat"])
async def test_other_openai_compatible_models_keep_max_tokens(
    model_id: str, http: httpx.AsyncClient
) -> None:
    model = ModelSpec(model_id, "openai", model_id, False, 1.0, 1.0)
    client = OpenAIClient(
        model, api_key=KEY, base_url="http://127.0.0.1:9/v1", http=http, timeout=5, retry=FAST
    )
    body = json.loads(client.encode(REQUEST))
    assert body["max_tokens"] == 300 and body["temperature"] == 0.0
    assert "max_completion_tokens" not in body
