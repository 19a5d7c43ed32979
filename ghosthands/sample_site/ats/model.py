"""A scripted model for the replicas: an OpenAI chat-completions server that answers the
form engine's screening questions (the ``answer_questions`` tool of
:mod:`ghosthands.llm.questions`) the way a capable model would, for exactly the
questions only a model can answer, with fixed usage per call so the cost a job records
can be checked against the catalogue price.

Point a worker at it with ``OPENAI_BASE_URL=<url>``, ``OPENAI_API_KEY=<anything>`` and an
``openai`` model of the catalogue (``GH_DEFAULT_MODEL=gpt-4o-mini``). It answers nothing
else: a request for another tool (the browser agent's ``next_actions``) gets a 400, and
is recorded, so a test can report that the engine asked for the agent.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Usage the model reports for every call.
PROMPT_TOKENS = 1200
COMPLETION_TOKENS = 150

PROJECT_ANSWER = (
    "I built a job pipeline on PostgreSQL that drives browser automation with Playwright; "
    "it halved failed runs and has run in production for two years."
)


def why_answer(company: str) -> str:
    return (
        f"I want to build dependable systems with a small team that ships, and {company} "
        "is where my Python and PostgreSQL experience helps most."
    )


_WHY = re.compile(r"why do you want to (?:work|join) (?:at|for|with)?\s*(.+?)\s*\??\s*\*?$", re.I)
_PROJECT = re.compile(r"project (?:that )?you(?:'|’| a)?re proud of|proudest project", re.I)


def scripted_answer(label: str) -> str | None:
    """The model's answer to a question, for the questions the replicas ask a model."""
    label = " ".join(label.split())
    match = _WHY.search(label)
    if match:
        return why_answer(match.group(1).strip())
    if _PROJECT.search(label):
        return PROJECT_ANSWER
    return None


@dataclass
class ModelCall:
    """One request the scripted model received."""

    tool: str
    #: The questions as the engine sent them (answer_questions calls).
    questions: list[dict[str, Any]] = field(default_factory=list)
    #: question id -> the answer given.
    answered: dict[str, str] = field(default_factory=dict)
    #: Labels of questions it was asked but has no script for.
    unanswered: list[str] = field(default_factory=list)
    status: int = 200


def _user_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if p.get("type") == "text")
    return "\n".join(parts)


def _questions(text: str) -> list[dict[str, Any]]:
    _, sep, rest = text.rpartition("Questions (JSON):")
    if not sep:
        return []
    try:
        found = json.loads(rest.strip().splitlines()[0])
    except (ValueError, IndexError):
        return []
    return [q for q in found if isinstance(q, dict)] if isinstance(found, list) else []


def _tool_name(body: dict[str, Any]) -> str:
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name:
            return str(name)
    for tool in body.get("tools") or []:
        name = (tool.get("function") or {}).get("name")
        if name:
            return str(name)
    return ""


def reply_body(
    arguments: dict[str, Any],
    tool: str = "answer_questions",
    *,
    model: str = "scripted",
    prompt_tokens: int = PROMPT_TOKENS,
    completion_tokens: int = COMPLETION_TOKENS,
) -> dict[str, Any]:
    """A chat-completions answer (OpenAI wire format) that calls ``tool`` with
    ``arguments`` and reports this usage: what every scripted model here sends back."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
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
                            "function": {"name": tool, "arguments": json.dumps(arguments)},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class ScriptedModel:
    """``with ScriptedModel() as model:`` a server on 127.0.0.1; ``model.url`` is the
    ``OPENAI_BASE_URL``; ``model.calls`` what it was asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[ModelCall] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = model.respond(self.path, raw)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def respond(self, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if not path.rstrip("/").endswith("/chat/completions"):
            return 404, {"error": {"message": "no such route", "type": "invalid_request_error"}}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}}
        tool = _tool_name(body)
        if tool != "answer_questions":
            with self._lock:
                self.calls.append(ModelCall(tool or "(none)", status=400))
            message = f"scripted model: only answer_questions is scripted, not {tool or 'chat'}"
            return 400, {"error": {"message": message, "type": "invalid_request_error"}}
        call = ModelCall(tool, questions=_questions(_user_text(body)))
        answers = []
        for question in call.questions:
            answer = scripted_answer(str(question.get("label", "")))
            if answer is None:
                call.unanswered.append(str(question.get("label", "")))
                continue
            call.answered[str(question.get("id"))] = answer
            answers.append({"id": question.get("id"), "answer": answer})
        with self._lock:
            self.calls.append(call)
        return 200, reply_body({"answers": answers})

    def snapshot(self) -> list[ModelCall]:
        with self._lock:
            return list(self.calls)

    def billed(self) -> list[ModelCall]:
        """Calls that were answered (and so billed)."""
        return [c for c in self.snapshot() if c.status == 200]

    def start(self) -> ScriptedModel:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
