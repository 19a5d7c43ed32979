"""``/api/v1/gh/valet``: the routes VALET (the service caller) uses.

Only the service caller may use them (a user token gets 403). Jobs created here have
``created_by = 'valet'``, which is what lets their callbacks carry the service key.

VALET's client was written against the original service (WeKruit/GHOST-HANDS), so every
route takes the original request bodies as sent (``valet_user_id``, ``resolution_type``,
``target_worker_id``, ...; see the schemas) and answers with the original fields beside
ours. ``POST /valet/review/{job_id}`` has no original: it is the way out of
``awaiting_review``.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import msgspec
from starlette.responses import Response

from ghosthands.api.errors import ApiError
from ghosthands.api.routes_jobs import PREFIX, progress_view, retry_or_refuse
from ghosthands.api.routing import Call, Endpoint, json_response
from ghosthands.api.schemas import (
    ACTION_RESOLUTIONS,
    MAX_TIMEOUT_SECONDS,
    BrowserSession,
    SessionDeleted,
    SessionList,
    SessionsDeleted,
    ValetApplyRequest,
    ValetDuplicate,
    ValetJobAccepted,
    ValetResumeAccepted,
    ValetResumeRequest,
    ValetReviewed,
    ValetReviewRequest,
    ValetSessionDeleteRequest,
    ValetStatus,
    ValetTaskRequest,
    WorkerDeregistered,
    WorkerDeregisterRequest,
    to_struct,
)
from ghosthands.api.services import Services, check_urls, duplicate, not_found
from ghosthands.api.valet_views import status_view
from ghosthands.crypto import resume_password_context
from ghosthands.jobs.budgets import JOB_BUDGET_CENTS, QUALITY_TIER
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
    if body.image_model is not None:
        fields["image_model"] = body.image_model
    if body.credit_budget_usd is not None:
        # Recorded for the job; the per-job cap itself is the quality preset's.
        fields["credit_budget_usd"] = body.credit_budget_usd
    return fields


def _valet_job(
    body: ValetApplyRequest | ValetTaskRequest,
    job_type: str,
    task_description: str,
    input_data: dict[str, Any],
) -> NewJob:
    """A job VALET submits: the fields both VALET routes share, created_by 'valet'."""
    return NewJob(
        user_id=body.owner,
        created_by="valet",
        job_type=job_type,
        target_url=body.target_url,
        task_description=task_description,
        input_data=input_data,
        priority=body.priority,
        max_retries=body.max_retries,
        timeout_seconds=min(body.timeout_seconds, MAX_TIMEOUT_SECONDS),
        metadata=body.metadata,
        tags=body.tags,
        callback_url=body.callback_url,
        valet_task_id=body.valet_task_id,
        idempotency_key=body.idempotency_key,
        target_worker_id=body.target_worker_id,
        worker_affinity=body.worker_affinity,
        execution_mode=body.execution_mode,
    )


async def _submit(services: Services, job: NewJob) -> Response:
    try:
        row = await services.submissions.create(job, owner=None)
    except DuplicateIdempotencyKey as exc:
        return await _duplicate(services, exc, job.valet_task_id)
    services.metrics.job_created(job.job_type)
    log.info("valet_job_created", job_id=str(row["id"]), job_type=job.job_type)
    return json_response(
        ValetJobAccepted(row["id"], job.valet_task_id, row["status"], row["created_at"]), 201
    )


async def _duplicate(
    services: Services, exc: DuplicateIdempotencyKey, valet_task_id: str | None
) -> Response:
    """409 in the API's error format, plus the original answer VALET's client reads
    (it carries on with ``job_id``) and the holder's current status."""
    error = duplicate(exc)
    status: str | None = None
    if exc.job_id is not None:
        try:
            status = await services.submissions.status(exc.job_id, owner=None)
        except JobNotFound:  # deleted in between: the key is free again, but say 409
            status = None
    body = ValetDuplicate(
        error=error.code,
        message=error.message,
        details=error.details,
        existing_job_id=str(exc.job_id) if exc.job_id is not None else None,
        job_id=exc.job_id,
        valet_task_id=valet_task_id,
        status=JobStatus(status) if status is not None else None,
    )
    return json_response(body, 409)


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
    answer = body.resolution()
    ref: dict[str, Any] = {"action": answer.action}
    if answer.code is not None:
        ref["code"] = answer.code
    if answer.note is not None:
        ref["note"] = answer.note
    if answer.action == "credentials":
        if services.keyring is None:
            raise ApiError(
                503,
                "credentials cannot be accepted: no encryption key is configured "
                "(GH_ENCRYPTION_KEY)",
                code="encryption_unavailable",
            )
        assert answer.password is not None
        sealed = services.keyring.encrypt_text(answer.password, resume_password_context(job_id))
        ref["password_enc"] = base64.b64encode(sealed).decode()
        ref["key_id"] = services.keyring.primary_id
        if answer.username is not None:
            ref["username"] = answer.username
    # Who resolved it, when the body says so in the original contract's words.
    said = {"resolved_by": body.resolved_by, "resolution_type": body.resolution_type}
    try:
        row = await services.submissions.request_resume(
            job_id,
            ref,
            owner=None,
            action=answer.action,
            note=answer.note,
            event_details={k: v for k, v in said.items() if v is not None},
        )
    except JobNotFound:
        raise not_found() from None
    except InvalidState as exc:
        raise ApiError(409, str(exc), code="invalid_state") from None
    log.info("resume_requested", job_id=str(job_id), action=answer.action)
    return json_response(
        ValetResumeAccepted(
            job_id=row["id"],
            status=row["status"],
            action=answer.action,
            event_id=row["event_id"],
            resolved_by=body.resolved_by or "human",
            resolution_type=body.resolution_type
            or ACTION_RESOLUTIONS.get(answer.action, answer.action),
        ),
        202,
    )


async def valet_status(call: Call[None, None]) -> Response:
    services: Services = call.services
    job_id: uuid.UUID = call.params["job_id"]
    try:
        row = await services.submissions.get(job_id, owner=None)
    except JobNotFound:
        raise not_found() from None
    row = await services.with_signed_urls(job_id, row)
    progress = progress_view(await services.submissions.latest_progress(job_id))
    view = status_view(row, progress, hitl_timeout_seconds=services.settings.hitl_timeout_seconds)
    return json_response(view)


async def valet_deregister_worker(call: Call[WorkerDeregisterRequest, None]) -> Response:
    services: Services = call.services
    body = call.body
    row = await services.submissions.deregister_worker(
        body.name,
        status=body.status,
        reason=body.reason,
        cancel_active_jobs=body.cancel_active_jobs,
        drain_timeout_seconds=body.drain_timeout_seconds,
    )
    if row is None:
        raise not_found("worker")
    log.info(
        "worker_deregistered",
        worker_id=body.name,
        workers=len(row["worker_ids"]),
        status=body.status,
        released=len(row["released_job_ids"]),
        cancelled=len(row["cancelled_job_ids"]),
    )
    return json_response(
        WorkerDeregistered(
            worker_id=row["worker_id"],
            status=row["status"],
            released_job_ids=row["released_job_ids"],
            deregistered_workers=row["worker_ids"],
            cancelled_job_ids=row["cancelled_job_ids"],
            reason=body.reason,
        )
    )


async def valet_review(call: Call[ValetReviewRequest, None]) -> Response:
    """The exits of ``awaiting_review``: a person says whether the application went out.

    Each is one status change, so the status trigger writes its event and the outbox
    trigger its callback (completed, failed, retried) in the same transaction. A retry
    goes through the jobs API's retry rule: it needs ``force`` when the last attempt may
    have submitted the application.
    """
    services: Services = call.services
    body = call.body
    job_id: uuid.UUID = call.params["job_id"]
    if body.outcome == "retry":
        note = f": {body.note}" if body.note else ""
        row = await retry_or_refuse(
            services,
            job_id,
            owner=None,
            force=body.force,
            from_statuses=frozenset({JobStatus.AWAITING_REVIEW}),
            message=f"retried after review{note}",
            force_hint='"force": true',
        )
    else:
        try:
            row = await services.submissions.close_review(
                job_id, submitted=body.outcome == "submitted", note=body.note, actor="valet"
            )
        except JobNotFound:
            raise not_found() from None
        except InvalidState as exc:
            raise ApiError(
                409, f"job is {exc.status}, not awaiting_review", code="invalid_state"
            ) from None
    log.info("job_reviewed", job_id=str(job_id), outcome=body.outcome, status=row["status"])
    return json_response(
        ValetReviewed(
            job_id=row["id"],
            outcome=body.outcome,
            status=row["status"],
            retry_count=row["retry_count"],
            updated_at=row["updated_at"],
        )
    )


async def valet_list_sessions(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    rows = await services.submissions.sessions(user_id)
    sessions = [to_struct(r, BrowserSession) for r in rows]
    return json_response(SessionList(user_id, sessions, len(sessions)))


async def valet_delete_session(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    domain: str = call.params["domain"]
    if not await services.submissions.delete_session(user_id, domain):
        raise not_found("session")
    return json_response(SessionDeleted(user_id, domain, True))


async def valet_delete_all_sessions(call: Call[ValetSessionDeleteRequest | None, None]) -> Response:
    """All of a user's sessions; only one domain's when the body names it."""
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    domain = call.body.domain if call.body is not None else None
    if domain is not None:
        deleted = int(await services.submissions.delete_session(user_id, domain))
    else:
        deleted = await services.submissions.delete_all_sessions(user_id)
    return json_response(SessionsDeleted(user_id, deleted, deleted))


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
        responses={201: ValetJobAccepted, 409: ValetDuplicate},
        description="quality picks the per-job budget and (unless tier is given) the tier. "
        "Takes the original contract's body as sent (valet_user_id for user_id). A used "
        "idempotency key answers 409 with the job that holds it (job_id, status, "
        "duplicate: true).",
    ),
    Endpoint(
        "POST",
        f"{VALET}/task",
        valet_task,
        "Run any job type for a user",
        "valet",
        access="service",
        body=ValetTaskRequest,
        responses={201: ValetJobAccepted, 409: ValetDuplicate},
        description="Takes the original contract's body as sent (valet_user_id for "
        "user_id). A used idempotency key answers 409 as /valet/apply does.",
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
        "Credentials need GH_ENCRYPTION_KEY (503 encryption_unavailable otherwise). The "
        "original contract's body (resolution_type manual | code_entry | credentials | "
        "skip, resolution_data {code | username/email, password}, resolved_by, "
        "resolution_notes) means the same actions (continue, code, credentials, skip).",
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
        f"{VALET}/review/{{job_id}}",
        valet_review,
        "Close a job held in awaiting_review: submitted, failed, or run again",
        "valet",
        access="service",
        body=ValetReviewRequest,
        params=_JOB,
        responses={200: ValetReviewed},
        errors=(404, 409),
        description="Only a job in awaiting_review (else 409 invalid_state). submitted: "
        "completed, with the note; failed: failed (not_submitted unless the run left an "
        "error code); retry: back to pending, by the jobs retry rule (409 "
        "job_not_retryable without force when the last attempt may have submitted). Each "
        "writes a job event and a callback (completed, failed, retried).",
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
        description="worker_id or target_worker_id (original contract): the worker with "
        "that id and the runs named after it. cancel_active_jobs fails their jobs "
        "(worker_deregistered, with a failed callback) instead of handing them back; a job "
        "that may have submitted goes to awaiting_review either way.",
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
        responses={200: SessionDeleted},
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        f"{VALET}/sessions/{{user_id}}",
        valet_delete_all_sessions,
        "Forget all of a user's saved sessions (or one domain's)",
        "valet",
        access="service",
        body=ValetSessionDeleteRequest,
        body_required=False,
        params=_USER,
        responses={200: SessionsDeleted},
        description="No body: every session of the user. A body {domain} (original "
        "contract): only that domain's.",
    ),
]
