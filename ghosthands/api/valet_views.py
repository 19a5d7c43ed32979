"""``GET /valet/status/{job_id}``'s answer, built from a job row.

One answer for two readers: ours (``result``, ``error``, ``interaction``, ``progress``
and ``cost_breakdown`` as this API defines them) and VALET's client, written against the
original service, which also reads ``timestamps``, ``worker_id``, ``execution_mode`` /
``browser_mode`` / ``final_mode``, ``result.screenshots``, ``interaction.page_url`` /
``screenshot_url`` / ``timeout_seconds`` and ``progress.progress_pct`` / ``description``.
Both sets of names are filled from the same columns, so they cannot disagree.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ghosthands.api.schemas import (
    CostBreakdown,
    Interaction,
    JobErrorView,
    JobOutcome,
    Progress,
    Timestamps,
    ValetProgress,
    ValetStatus,
)
from ghosthands.jobs.budgets import JOB_BUDGET_CENTS, Quality
from ghosthands.jobs.states import JobStatus

#: Where browsers run: always on the workers here (the original also knew "operator").
BROWSER_MODE = "server"


def status_view(
    row: dict[str, Any], progress: Progress | None, *, hitl_timeout_seconds: float
) -> ValetStatus:
    """The status answer for a job row and its latest progress."""
    status = JobStatus(row["status"])
    input_data = row["input_data"] or {}
    screenshots = list(row["screenshot_urls"] or [])
    has_result = row["result_data"] is not None or row["result_summary"] is not None
    return ValetStatus(
        job_id=row["id"],
        valet_task_id=row["valet_task_id"],
        job_type=row["job_type"],
        status=status,
        status_message=row["status_message"],
        progress=_progress(progress),
        result=JobOutcome(
            data=row["result_data"],
            summary=row["result_summary"],
            screenshot_urls=screenshots,
            artifact_urls=row["artifact_urls"] or [],
            screenshots=screenshots,
        )
        if has_result or screenshots
        else None,
        error=JobErrorView(
            code=row["error_code"],
            message=row["status_message"],
            details=row["error_details"],
        )
        if row["error_code"] is not None
        else None,
        interaction=_interaction(row, screenshots, hitl_timeout_seconds)
        if status == JobStatus.PAUSED or row["interaction_type"] is not None
        else None,
        cost_breakdown=_cost(row, input_data),
        retry_count=row["retry_count"],
        max_retries=row["max_retries"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        updated_at=row["updated_at"],
        worker_id=row["worker_id"],
        target_worker_id=row["target_worker_id"],
        execution_mode=row["execution_mode"] or input_data.get("execution_mode") or "auto",
        browser_mode=BROWSER_MODE,
        final_mode=row["final_mode"],
        manual=None,
        timestamps=Timestamps(
            created_at=row["created_at"],
            started_at=row["started_at"],
            completed_at=row["completed_at"],
        ),
    )


def _progress(progress: Progress | None) -> ValetProgress | None:
    if progress is None:
        return None
    return ValetProgress(
        **msgspec.structs.asdict(progress),
        progress_pct=progress.percent,
        description=progress.message,
    )


def _interaction(
    row: dict[str, Any], screenshots: list[str], hitl_timeout_seconds: float
) -> Interaction:
    """Why the job waits; the page and screenshot under the original contract's names
    (the worker stores the page as ``url`` and saves the screenshot just before pausing)."""
    data = row["interaction_data"] or {}
    page = data.get("page_url") or data.get("url")
    shot = data.get("screenshot_url") or (screenshots[-1] if screenshots else None)
    return Interaction(
        type=row["interaction_type"],
        data=row["interaction_data"],
        paused_at=row["paused_at"],
        screenshot_url=shot if isinstance(shot, str) else None,
        page_url=page if isinstance(page, str) else None,
        timeout_seconds=int(hitl_timeout_seconds),
    )


def _cost(row: dict[str, Any], input_data: dict[str, Any]) -> CostBreakdown:
    quality = input_data.get("quality")
    budget = input_data.get("budget_cents")
    if budget is None and quality in {q.value for q in Quality}:
        budget = JOB_BUDGET_CENTS[Quality(quality)]
    cost_cents = float(row["llm_cost_cents"])
    tier = input_data.get("tier")
    return CostBreakdown(
        llm_cost_cents=cost_cents,
        total_cost_usd=round(cost_cents / 100.0, 6),
        total_tokens=int(row["total_tokens"]),
        action_count=int(row["action_count"]),
        quality=quality if isinstance(quality, str) else None,
        tier=tier if isinstance(tier, str) else None,
        job_budget_cents=int(budget) if isinstance(budget, int | float) else None,
    )
