"""One application to a replica through the real API, as VALET makes it: ``POST
/valet/apply``, wait, answer a sign-in pause with the replica's credentials, read the
outcome back. Shared by the e2e test and the bench.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from ghosthands.sample_site.ats.model import (
    COMPLETION_TOKENS,
    PROMPT_TOKENS,
    ModelCall,
    ScriptedModel,
)
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.score import Score, score
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSubmission, ServedReplicas
from ghosthands.sample_site.profile import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS

V1 = "/api/v1/gh"
#: An ``openai`` model of the catalogue, so the scripted server is priced like it.
MODEL = "gpt-4o-mini"
SETTLED = {"completed", "failed", "cancelled", "expired", "awaiting_review", "paused"}


@dataclass
class Outcome:
    replica: Replica
    job_id: str
    status: str
    #: Every status document read at a pause or at the end.
    statuses: list[dict[str, Any]] = field(default_factory=list)
    #: Interaction types the job paused for, in order.
    paused_for: list[str] = field(default_factory=list)
    submissions: list[AtsSubmission] = field(default_factory=list)
    score: Score | None = None
    model_calls: list[ModelCall] = field(default_factory=list)
    #: Seconds the job worked (started -> finished), without time spent paused.
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def final(self) -> dict[str, Any]:
        return self.statuses[-1] if self.statuses else {}

    @property
    def cost_cents(self) -> Decimal:
        cost = (self.final.get("cost_breakdown") or {}).get("llm_cost_cents", 0)
        return Decimal(str(cost))

    @property
    def total_tokens(self) -> int:
        return int((self.final.get("cost_breakdown") or {}).get("total_tokens", 0))

    @property
    def billed_calls(self) -> list[ModelCall]:
        return [c for c in self.model_calls if c.status == 200]

    @property
    def succeeded(self) -> bool:
        return self.status == "completed" and self.score is not None and self.score.perfect


def apply_body(served: ServedReplicas, replica: Replica, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": str(uuid.uuid4()),
        "target_url": served.url(replica.start_path),
        "profile": SAMPLE_PROFILE,
        "resume": {"download_url": served.resume_url, "file_name": RESUME_NAME},
        "qa_answers": SAMPLE_QA_ANSWERS,
        "model": MODEL,
        "company_name": replica.company,  # as VALET knows the employer of the posting
        "max_retries": 0,
        "timeout_seconds": 300,
        **extra,
    }


def expected_cost_cents(calls: int, model: str = MODEL) -> Decimal:
    """What ``calls`` scripted calls cost by the catalogue (each rounded up on its own)."""
    from ghosthands.config import Settings
    from ghosthands.llm.catalogue import Catalogue

    spec = Catalogue.from_settings(Settings()).resolve(model)
    return spec.price_cents(PROMPT_TOKENS, COMPLETION_TOKENS) * calls


def _status(api: httpx.Client, job_id: str) -> dict[str, Any]:
    response = api.get(f"{V1}/valet/status/{job_id}")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _wait(api: httpx.Client, job_id: str, deadline: float) -> dict[str, Any] | None:
    while time.monotonic() < deadline:
        status = _status(api, job_id)
        if status["status"] in SETTLED:
            return status
        time.sleep(0.25)
    return None


def _parse(stamp: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(stamp) if stamp else None


def run_application(
    api: httpx.Client,
    served: ServedReplicas,
    replica: Replica,
    model: ScriptedModel,
    *,
    timeout: float = 150.0,
    body: dict[str, Any] | None = None,
) -> Outcome:
    """Apply to ``replica`` and wait for the end; a sign-in pause is answered with the
    replica's credentials (once), any other pause ends the run (the job is cancelled)."""
    calls_before = len(model.snapshot())
    received_before = len(served.site.received(replica.name))
    response = api.post(f"{V1}/valet/apply", json=body or apply_body(served, replica))
    response.raise_for_status()
    job_id = str(response.json()["job_id"])
    outcome = Outcome(replica, job_id, "pending")
    deadline = time.monotonic() + timeout
    paused_seconds = 0.0
    while True:
        status = _wait(api, job_id, deadline)
        if status is None:
            outcome.timed_out = True
            outcome.statuses.append(_status(api, job_id))
            api.post(f"{V1}/jobs/{job_id}/cancel")
            break
        outcome.statuses.append(status)
        if status["status"] != "paused":
            break
        kind = (status.get("interaction") or {}).get("type") or "unknown"
        outcome.paused_for.append(kind)
        if kind == "login" and replica.login and outcome.paused_for.count("login") == 1:
            paused_at = time.monotonic()
            user, password = replica.login
            resumed = api.post(
                f"{V1}/valet/resume/{job_id}",
                json={"action": "credentials", "username": user, "password": password},
            )
            resumed.raise_for_status()
            # Wait until the worker has taken the answer (the job leaves "paused").
            while time.monotonic() < deadline and _status(api, job_id)["status"] == "paused":
                time.sleep(0.2)
            paused_seconds += time.monotonic() - paused_at
            continue
        api.post(f"{V1}/jobs/{job_id}/cancel")
        break
    final = outcome.statuses[-1]
    outcome.status = str(final["status"])
    started = _parse(final.get("started_at"))
    finished = _parse(final.get("completed_at") or final.get("updated_at"))
    if started and finished:
        outcome.seconds = max(0.0, (finished - started).total_seconds() - paused_seconds)
    outcome.submissions = served.site.received(replica.name)[received_before:]
    outcome.model_calls = model.snapshot()[calls_before:]
    outcome.score = score(replica, outcome.submissions[-1] if outcome.submissions else None)
    return outcome


def describe(outcome: Outcome) -> str:
    """What happened, for a failure message or the bench's notes."""
    final = outcome.final
    replica = outcome.replica
    lines = [f"{replica.name} ({replica.ats}): job {outcome.job_id} ended {outcome.status}"]
    if outcome.timed_out:
        lines.append("  timed out waiting for the job (cancelled)")
    if outcome.paused_for:
        lines.append(f"  paused for: {', '.join(outcome.paused_for)}")
    error = final.get("error") or {}
    if error:
        lines.append(f"  error {error.get('code')}: {error.get('message')}")
        details = error.get("details") or {}
        for key in ("questions", "errors", "url", "step"):
            if key in details:
                lines.append(f"    {key}: {details[key]}")
    progress = final.get("progress") or {}
    if progress:
        lines.append(f"  last step: {progress.get('step')} {progress.get('details') or ''}")
    result = final.get("result") or {}
    data = result.get("data") or {}
    if result.get("summary"):
        lines.append(f"  summary: {result['summary']}")
    if data.get("fields"):
        filled = ", ".join(
            f"{f['question']!r}={f['value']!r} ({f['source']})" for f in data["fields"]
        )
        lines.append(f"  engine filled: {filled[:1500]}")
    if len(outcome.submissions) > 1:
        lines.append(f"  {len(outcome.submissions)} submissions received (expected one)")
    if outcome.score is not None:
        lines.append("  " + outcome.score.describe().replace("\n", "\n  "))
    for call in outcome.model_calls:
        if call.status != 200:
            lines.append(f"  model asked for the {call.tool} tool (not scripted: 400)")
            continue
        lines.append(
            f"  model call: {len(call.questions)} questions, answered "
            f"{len(call.answered)}; unscripted: {call.unanswered}"
        )
    if replica.model_fields and not outcome.billed_calls:
        lines.append(f"  no model call, though {len(replica.model_fields)} answer(s) need one")
    cost = final.get("cost_breakdown") or {}
    lines.append(
        f"  cost: {cost.get('llm_cost_cents')} cents, {cost.get('total_tokens')} tokens, "
        f"{cost.get('action_count')} actions"
    )
    return "\n".join(lines)
