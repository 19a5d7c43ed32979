"""``/api/v1/gh/valet``: the routes VALET (the service caller) uses.

Only the service caller may use them (a user token gets 403). Jobs created here have
``created_by = 'valet'``, which is what lets their callbacks carry the service key.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import msgspec
from starlette.responses import Response

from ghosthands.api.errors import ApiError
from ghosthands.api.routes_jobs import PREFIX, progress_view
from ghosthands.api.routing import Call, Endpoint, json_response
from ghosthands.api.schemas import (
    BrowserSession,
    CostBreakdown,
    Interaction,
    JobErrorView,
    JobOutcome,
    SessionList,
    SessionsDeleted,
    ValetApplyRequest,
    ValetJobAccepted,
    ValetResumeAccepted,
    ValetResumeRequest,
    ValetStatus,
    ValetTaskRequest,
    WorkerDeregistered,
    WorkerDeregisterRequest,
    to_struct,
)
from ghosthands.api.services import Services, check_urls, duplicate, not_found
from ghosthands.crypto import resume_password_context
from ghosthands.jobs.budgets import JOB_BUDGET_CENTS, QUALITY_TIER, Quality
from ghosthands.jobs.states import JobStatus
from ghosthands.jobs.submissions import DuplicateIdempotencyKey, InvalidState, JobNotFound, NewJob
from ghosthands.logs import get_logger

log = get_logger(__name__)

VALET = f"{PREFIX}/valet"


def _budget_fields(body: ValetApplyRequest | ValetTaskRequest) -> dict[str, Any]:
    """What the worker needs to meter the job: quality preset, tier, per-job budget."""
    tier = body.tier or QUALITY_TIER[body.quality]
    fields: dict[str, Any] = {
        "quality": body.quality.value,
        "tier": tier.value,
        "budget_cents": JOB_BUDGET_CENTS[body.quality],
    }
    if body.model is not None:
        fields["model"] = body.model
    return fields


def _valet_job(
    body: ValetApplyRequest | ValetTaskRequest,
    job_type: str,
    task_description: str,
    input_data: dict[str, Any],
) -> NewJob:
    """A job VALET submits: the fields both VALET routes share, created_by 'valet'."""
    return NewJob(
        user_id=body.user_id,
        created_by="valet",
        job_type=job_type,
        target_url=body.target_url,
        task_description=task_description,
        input_data=input_data,
        priority=body.priority,
        max_retries=body.max_retries,
        timeout_seconds=body.timeout_seconds,
        metadata=body.metadata,
        tags=body.tags,
        callback_url=body.callback_url,
        valet_task_id=body.valet_task_id,
        idempotency_key=body.idempotency_key,
    )


async def _submit(services: Services, job: NewJob) -> Response:
    try:
        row = await services.submissions.create(job, owner=None)
    except DuplicateIdempotencyKey as exc:
        raise duplicate(exc) from None
    services.metrics.job_created(job.job_type)
    log.info("valet_job_created", job_id=str(row["id"]), job_type=job.job_type)
    return json_response(
        ValetJobAccepted(row["id"], job.valet_task_id, row["status"], row["created_at"]), 201
    )


async def valet_apply(call: Call[ValetApplyRequest, None]) -> Response:
    services: Services = call.services
    body = call.body
    check_urls(
        services.settings,
        target_url=body.target_url,
        callback_url=body.callback_url,
        **{"resume.download_url": body.resume.download_url if body.resume else None},
    )
    input_data: dict[str, Any] = {
        "user_data": _builtins(body.profile),
        "qa_overrides": body.qa_answers,
        **_budget_fields(body),
    }
    if body.resume is not None:
        input_data["resume"] = _builtins(body.resume)
    if body.platform is not None:
        input_data["platform"] = body.platform
    if body.execution_mode != "auto":
        input_data["execution_mode"] = body.execution_mode
    company = body.company_name or body.metadata.get("company_name")
    if isinstance(company, str) and company.strip():
        input_data["company_name"] = company.strip()[:200]
    task = body.task_description or "Apply to this job posting"
    return await _submit(services, _valet_job(body, "apply", task, input_data))


async def valet_task(call: Call[ValetTaskRequest, None]) -> Response:
    services: Services = call.services
    body = call.body
    check_urls(services.settings, target_url=body.target_url, callback_url=body.callback_url)
    input_data = {**body.input_data, **_budget_fields(body)}
    job = _valet_job(body, body.job_type, body.task_description, input_data)
    return await _submit(services, job)


async def valet_resume(call: Call[ValetResumeRequest, None]) -> Response:
    """Store the human's answer in ``resume_ref`` and announce it (``resume_requested``).

    ``resume_ref`` is ``{"action", "code"?, "note"?, "username"?, "password_enc"?,
    "key_id"?}``: a password is sealed with the configured KeyRing (AES-256-GCM, context
    ``resume:<job_id>:password``) and stored base64-encoded; the worker opens it, uses it
    on the page and clears ``resume_ref``.
    """
    services: Services = call.services
    body = call.body
    job_id: uuid.UUID = call.params["job_id"]
    ref: dict[str, Any] = {"action": body.action}
    if body.code is not None:
        ref["code"] = body.code
    if body.note is not None:
        ref["note"] = body.note
    if body.action == "credentials":
        if services.keyring is None:
            raise ApiError(
                503,
                "credentials cannot be accepted: no encryption key is configured "
                "(GH_ENCRYPTION_KEY)",
                code="encryption_unavailable",
            )
        assert body.password is not None
        sealed = services.keyring.encrypt_text(body.password, resume_password_context(job_id))
        ref["password_enc"] = base64.b64encode(sealed).decode()
        ref["key_id"] = services.keyring.primary_id
        if body.username is not None:
            ref["username"] = body.username
    try:
        row = await services.submissions.request_resume(
            job_id, ref, owner=None, action=body.action, note=body.note
        )
    except JobNotFound:
        raise not_found() from None
    except InvalidState as exc:
        raise ApiError(409, str(exc), code="invalid_state") from None
    log.info("resume_requested", job_id=str(job_id), action=body.action)
    return json_response(
        ValetResumeAccepted(row["id"], row["status"], body.action, row["event_id"]), 202
    )


async def valet_status(call: Call[None, None]) -> Response:
    services: Services = call.services
    job_id: uuid.UUID = call.params["job_id"]
    try:
        row = await services.submissions.get(job_id, owner=None)
    except JobNotFound:
        raise not_found() from None
    progress = progress_view(await services.submissions.latest_progress(job_id))
    status = JobStatus(row["status"])
    input_data = row["input_data"] or {}
    quality = input_data.get("quality")
    budget = input_data.get("budget_cents")
    if budget is None and quality in {q.value for q in Quality}:
        budget = JOB_BUDGET_CENTS[Quality(quality)]
    cost_cents = float(row["llm_cost_cents"])
    has_result = row["result_data"] is not None or row["result_summary"] is not None
    view = ValetStatus(
        job_id=row["id"],
        valet_task_id=row["valet_task_id"],
        job_type=row["job_type"],
        status=status,
        status_message=row["status_message"],
        progress=progress,
        result=JobOutcome(
            data=row["result_data"],
            summary=row["result_summary"],
            screenshot_urls=row["screenshot_urls"] or [],
            artifact_urls=row["artifact_urls"] or [],
        )
        if has_result or row["screenshot_urls"]
        else None,
        error=JobErrorView(
            code=row["error_code"],
            message=row["status_message"],
            details=row["error_details"],
        )
        if row["error_code"] is not None
        else None,
        interaction=Interaction(
            type=row["interaction_type"],
            data=row["interaction_data"],
            paused_at=row["paused_at"],
        )
        if status == JobStatus.PAUSED or row["interaction_type"] is not None
        else None,
        cost_breakdown=CostBreakdown(
            llm_cost_cents=cost_cents,
            total_cost_usd=round(cost_cents / 100.0, 6),
            total_tokens=int(row["total_tokens"]),
            action_count=int(row["action_count"]),
            quality=quality if isinstance(quality, str) else None,
            tier=input_data.get("tier") if isinstance(input_data.get("tier"), str) else None,
            job_budget_cents=int(budget) if isinstance(budget, int | float) else None,
        ),
        retry_count=row["retry_count"],
        max_retries=row["max_retries"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        updated_at=row["updated_at"],
    )
    return json_response(view)


async def valet_deregister_worker(call: Call[WorkerDeregisterRequest, None]) -> Response:
    services: Services = call.services
    body = call.body
    row = await services.submissions.deregister_worker(
        body.worker_id, status=body.status, reason=body.reason
    )
    if row is None:
        raise not_found("worker")
    log.info(
        "worker_deregistered",
        worker_id=body.worker_id,
        status=body.status,
        released=len(row["released_job_ids"]),
    )
    return json_response(
        WorkerDeregistered(row["worker_id"], row["status"], row["released_job_ids"])
    )


async def valet_list_sessions(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    rows = await services.submissions.sessions(user_id)
    return json_response(SessionList(user_id, [to_struct(r, BrowserSession) for r in rows]))


async def valet_delete_session(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    if not await services.submissions.delete_session(user_id, call.params["domain"]):
        raise not_found("session")
    return Response(status_code=204)


async def valet_delete_all_sessions(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    deleted = await services.submissions.delete_all_sessions(user_id)
    return json_response(SessionsDeleted(user_id, deleted))


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


_JOB = {"job_id": uuid.UUID}
_USER = {"user_id": uuid.UUID}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        f"{VALET}/apply",
        valet_apply,
        "Apply to a job posting for a user",
        "valet",
        access="service",
        body=ValetApplyRequest,
        responses={201: ValetJobAccepted},
        errors=(409,),
        description="quality picks the per-job budget and (unless tier is given) the tier.",
    ),
    Endpoint(
        "POST",
        f"{VALET}/task",
        valet_task,
        "Run any job type for a user",
        "valet",
        access="service",
        body=ValetTaskRequest,
        responses={201: ValetJobAccepted},
        errors=(409,),
    ),
    Endpoint(
        "POST",
        f"{VALET}/resume/{{job_id}}",
        valet_resume,
        "Answer a paused job (code, credentials, skip, continue, cancel)",
        "valet",
        access="service",
        body=ValetResumeRequest,
        params=_JOB,
        responses={202: ValetResumeAccepted},
        errors=(404, 409, 503),
        description="Only a paused job without a pending answer; else 409 invalid_state. "
        "Credentials need GH_ENCRYPTION_KEY (503 encryption_unavailable otherwise).",
    ),
    Endpoint(
        "GET",
        f"{VALET}/status/{{job_id}}",
        valet_status,
        "Job status with progress, result, error, interaction and cost",
        "valet",
        access="service",
        params=_JOB,
        responses={200: ValetStatus},
        errors=(404,),
    ),
    Endpoint(
        "POST",
        f"{VALET}/workers/deregister",
        valet_deregister_worker,
        "Take a worker out of rotation (offline releases its jobs)",
        "valet",
        access="service",
        body=WorkerDeregisterRequest,
        responses={200: WorkerDeregistered},
        errors=(404,),
    ),
    Endpoint(
        "GET",
        f"{VALET}/sessions/{{user_id}}",
        valet_list_sessions,
        "A user's saved browser sessions",
        "valet",
        access="service",
        params=_USER,
        responses={200: SessionList},
    ),
    Endpoint(
        "DELETE",
        f"{VALET}/sessions/{{user_id}}/{{domain}}",
        valet_delete_session,
        "Forget a user's saved session for one domain",
        "valet",
        access="service",
        params=_USER,
        responses={204: None},
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        f"{VALET}/sessions/{{user_id}}",
        valet_delete_all_sessions,
        "Forget all of a user's saved sessions",
        "valet",
        access="service",
        params=_USER,
        responses={200: SessionsDeleted},
    ),
]
