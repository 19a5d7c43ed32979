"""``/api/v1/gh/jobs``: create, batch, list, read, cancel, retry, events, stream, artifacts.

Both callers use these routes; a user only ever sees their own jobs (another user's job
answers 404, exactly like a missing one), the service caller sees all.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import RedirectResponse, Response, StreamingResponse

from ghosthands.api import sse
from ghosthands.api.auth import Principal
from ghosthands.api.decoding import FieldError, ValidationFailed
from ghosthands.api.errors import ApiError
from ghosthands.api.routing import Call, Endpoint, json_response
from ghosthands.api.schemas import (
    EventPage,
    EventsQuery,
    Job,
    JobBatchCreated,
    JobBatchRequest,
    JobChanged,
    JobCreated,
    JobCreateRequest,
    JobEvent,
    JobList,
    JobListQuery,
    JobStatusView,
    Progress,
    RetryQuery,
    to_struct,
)
from ghosthands.api.services import Services, check_urls, duplicate, job_owner_for_create, not_found
from ghosthands.jobs.states import RETRYABLE, TERMINAL, JobStatus
from ghosthands.jobs.submissions import (
    DuplicateIdempotencyKey,
    InvalidState,
    JobNotFound,
    ListFilter,
    NewJob,
)
from ghosthands.storage import StorageError

PREFIX = "/api/v1/gh"
#: The best priority a user's own job may have; 1-4 are the service caller's.
DEFAULT_PRIORITY = 5


def new_job(services: Services, principal: Principal, body: JobCreateRequest) -> NewJob:
    """A validated request as a row to insert (shared with nothing else: /valet has its own)."""
    user_id = job_owner_for_create(principal, body.user_id)
    check_urls(services.settings, target_url=body.target_url, callback_url=body.callback_url)
    input_data = body.input_data
    if not principal.is_service:
        if body.valet_task_id is not None:
            # VALET-shaped callbacks name VALET's tasks; a user must not name one of them.
            raise ValidationFailed(
                [FieldError("valet_task_id", "is set only by the service caller (VALET)")]
            )
        # A user's budgets follow the tier of their token, never what their input says.
        input_data = {**input_data, "tier": principal.tier.value}
    # Priorities above the default band (1-4) are the service's: VALET's jobs go first.
    priority = body.priority if principal.is_service else max(body.priority, DEFAULT_PRIORITY)
    return NewJob(
        user_id=user_id,
        created_by="api",
        job_type=body.job_type,
        target_url=body.target_url,
        task_description=body.task_description,
        input_data=input_data,
        priority=priority,
        max_retries=body.max_retries,
        timeout_seconds=body.timeout_seconds,
        scheduled_at=body.scheduled_at,
        metadata=body.metadata,
        tags=body.tags,
        callback_url=body.callback_url,
        valet_task_id=body.valet_task_id,
        idempotency_key=scoped_idempotency_key(principal, body.idempotency_key),
        target_worker_id=body.target_worker_id,
        worker_affinity=body.worker_affinity,
    )


def scoped_idempotency_key(principal: Principal, key: str | None) -> str | None:
    """Keys are per caller: a user's are stored under their own prefix (the API shows
    them without it), so no user can take VALET's keys, or another user's, first. The
    service's keys are stored as given (what VALET and earlier releases expect)."""
    if key is None or principal.is_service:
        return key
    return f"user:{principal.user_id}:{key}"


async def _check_waiting(services: Services, principal: Principal, adding: int) -> None:
    """429 when a user's jobs waiting to run would pass their cap (the service is not
    capped): one user's backlog must not fill the queue every worker draws from."""
    if principal.is_service or principal.user_id is None:
        return
    cap = services.settings.max_waiting_jobs_per_user
    waiting = await services.submissions.waiting_jobs(principal.user_id, cap)
    if waiting + adding > cap:
        raise ApiError(
            429,
            f"{waiting} of your jobs are waiting to run; at most {cap} may wait at once",
            code="too_many_waiting_jobs",
            details=[
                {"field": "jobs", "message": f"waiting {waiting}, adding {adding}, cap {cap}"}
            ],
        )


async def create_job(call: Call[JobCreateRequest, None]) -> Response:
    services: Services = call.services
    job = new_job(services, call.caller, call.body)
    await _check_waiting(services, call.caller, 1)
    try:
        row = await services.submissions.create(job, owner=call.caller.owner)
    except DuplicateIdempotencyKey as exc:
        raise duplicate(exc) from None
    services.metrics.job_created(job.job_type)
    return json_response(to_struct(row, JobCreated), 201)


async def create_job_batch(call: Call[JobBatchRequest, None]) -> Response:
    services: Services = call.services
    jobs = []
    for i, item in enumerate(call.body.jobs):
        try:
            jobs.append(new_job(services, call.caller, item))
        except ApiError as exc:  # name the item in field paths
            for detail in exc.details or []:
                detail["field"] = f"jobs[{i}].{detail['field']}"
            raise
    rate = None
    if len(jobs) > 1:  # the route's own hit counted one: a batch counts as its size
        rate = await services.rate_limiter.hit(call.caller, cost=len(jobs) - 1)
    await _check_waiting(services, call.caller, len(jobs))
    try:
        rows = await services.submissions.create_many(jobs, owner=call.caller.owner)
    except DuplicateIdempotencyKey as exc:
        raise duplicate(exc) from None
    for job in jobs:
        services.metrics.job_created(job.job_type)
    response = json_response(JobBatchCreated([to_struct(r, JobCreated) for r in rows]), 201)
    if rate is not None:
        response.headers.update(rate.headers())
    return response


async def list_jobs(call: Call[None, JobListQuery]) -> Response:
    services: Services = call.services
    query = call.query
    if (
        query.user_id is not None
        and not call.caller.is_service
        and query.user_id != call.caller.user_id
    ):
        raise ApiError(403, "you may only list your own jobs", code="forbidden")
    page = await services.submissions.list_jobs(
        ListFilter(
            user_id=query.user_id,
            statuses=[s.value for s in query.status] if query.status else None,
            job_type=query.job_type,
            valet_task_id=query.valet_task_id,
            tag=query.tag,
            sort=query.sort,
            limit=query.limit,
            offset=query.offset,
        ),
        owner=call.caller.owner,
    )
    jobs = [to_struct(row, Job) for row in page.jobs]
    return json_response(JobList(jobs, page.total, query.limit, query.offset))


async def get_job(call: Call[None, None]) -> Response:
    services: Services = call.services
    try:
        row = await services.submissions.get(call.params["job_id"], owner=call.caller.owner)
    except JobNotFound:
        raise not_found() from None
    row = await services.with_signed_urls(row["id"], row)
    return json_response(to_struct(row, Job))


def progress_view(row: dict[str, Any] | None) -> Progress | None:
    """The worker's latest ``progress`` event as the API shows it."""
    if row is None:
        return None
    metadata = dict(row["metadata"] or {})
    step = metadata.pop("step", None)
    percent = metadata.pop("percent", None)
    return Progress(
        step=str(step) if step is not None else None,
        message=row["message"],
        percent=float(percent) if isinstance(percent, int | float) else None,
        details=metadata,
        updated_at=row["created_at"],
    )


async def get_job_status(call: Call[None, None]) -> Response:
    services: Services = call.services
    job_id = call.params["job_id"]
    try:
        row = await services.submissions.get(job_id, owner=call.caller.owner)
    except JobNotFound:
        raise not_found() from None
    progress = progress_view(await services.submissions.latest_progress(job_id))
    return json_response(
        JobStatusView(
            id=row["id"],
            status=row["status"],
            status_message=row["status_message"],
            error_code=row["error_code"],
            retry_count=row["retry_count"],
            progress=progress,
            started_at=row["started_at"],
            completed_at=row["completed_at"],
            updated_at=row["updated_at"],
        )
    )


async def cancel_job(call: Call[None, None]) -> Response:
    services: Services = call.services
    try:
        row = await services.submissions.cancel(call.params["job_id"], owner=call.caller.owner)
    except JobNotFound:
        raise not_found() from None
    except InvalidState as exc:
        raise ApiError(
            409, f"job is {exc.status} and cannot be cancelled", code="job_not_cancellable"
        ) from None
    return json_response(to_struct(row, JobChanged))


async def retry_job(call: Call[None, RetryQuery]) -> Response:
    row = await retry_or_refuse(
        call.services, call.params["job_id"], owner=call.caller.owner, force=call.query.force
    )
    return json_response(to_struct(row, JobChanged))


async def retry_or_refuse(
    services: Services,
    job_id: uuid.UUID,
    *,
    owner: uuid.UUID | None,
    force: bool,
    from_statuses: frozenset[JobStatus] = RETRYABLE,
    message: str = "retried by api",
    force_hint: str = "?force=true",
) -> dict[str, Any]:
    """The API's one retry rule (this route, and a VALET review's retry): back to pending
    from ``from_statuses``; 409 job_not_retryable from any other status, and when the
    last attempt may have submitted the application unless ``force``."""
    try:
        row: dict[str, Any] = await services.submissions.retry(
            job_id, owner=owner, force=force, from_statuses=from_statuses, message=message
        )
    except JobNotFound:
        raise not_found() from None
    except InvalidState as exc:
        allowed = " or ".join(sorted(from_statuses))
        text = (
            f"job is {exc.status}; its last attempt may already have submitted the "
            f"application: retry with {force_hint} to run it again anyway"
            if exc.reason
            else f"job is {exc.status}; only {allowed} jobs can be retried"
        )
        raise ApiError(409, text, code="job_not_retryable") from None
    return row


async def list_job_events(call: Call[None, EventsQuery]) -> Response:
    services: Services = call.services
    query = call.query
    try:
        rows = await services.submissions.events(
            call.params["job_id"],
            owner=call.caller.owner,
            after_id=query.after_id,
            limit=query.limit,
        )
    except JobNotFound:
        raise not_found() from None
    events = [to_struct(r, JobEvent) for r in rows]
    next_after = events[-1].id if len(events) == query.limit else None
    return json_response(EventPage(events, next_after))


async def stream_job_events(call: Call[None, None]) -> Response:
    services: Services = call.services
    job_id: uuid.UUID = call.params["job_id"]
    try:
        status = await services.submissions.status(job_id, owner=call.caller.owner)
    except JobNotFound:
        raise not_found() from None
    owner = str(call.caller.owner) if call.caller.owner is not None else None
    try:
        services.hub.admit(owner)
    except sse.TooManyStreams as exc:
        raise ApiError(429, str(exc), code="too_many_streams") from None
    body = sse.event_stream(
        services.hub,
        services.submissions,
        job_id,
        owner=owner,
        after_id=sse.parse_last_event_id(call.request.headers.get("Last-Event-ID")),
        started_terminal=status in TERMINAL,
        keepalive_seconds=services.settings.sse_keepalive_seconds,
        max_seconds=services.settings.stream_max_seconds,
    )
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def get_artifact(call: Call[None, None]) -> Response:
    services: Services = call.services
    try:
        row = await services.submissions.artifact(
            call.params["job_id"], call.params["artifact_id"], owner=call.caller.owner
        )
    except JobNotFound:
        raise not_found("artifact") from None
    if row["content"] is None:
        stored_at: str | None = row["storage_url"]
        target = None
        if stored_at and services.storage is not None:
            try:  # kept in the object store: a fresh signed link to it
                target = await services.storage.sign(stored_at)
            except StorageError as exc:
                raise ApiError(
                    503, f"the object store is unavailable: {exc}", code="storage_unavailable"
                ) from None
        if target is None and stored_at and stored_at.startswith(("https://", "http://")):
            target = stored_at  # a plain link recorded with the artifact
        if target is None:
            raise not_found("artifact content")
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
    safe_name = "".join(c for c in row["name"] if c.isalnum() or c in "._-")[:100] or "artifact"
    return Response(
        bytes(row["content"]),
        media_type=row["content_type"],
        headers={
            "Content-Disposition": f'inline; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


_JOB = {"job_id": uuid.UUID}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "POST",
        f"{PREFIX}/jobs",
        create_job,
        "Create a job",
        "jobs",
        body=JobCreateRequest,
        responses={201: JobCreated},
        errors=(403, 409),
        description="A repeated idempotency_key answers 409 duplicate_idempotency_key "
        "with existing_job_id (when that job is the caller's).",
    ),
    Endpoint(
        "POST",
        f"{PREFIX}/jobs/batch",
        create_job_batch,
        "Create 1-50 jobs at once",
        "jobs",
        body=JobBatchRequest,
        responses={201: JobBatchCreated},
        errors=(403, 409),
        description="All jobs are created in one transaction, or none.",
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs",
        list_jobs,
        "List jobs",
        "jobs",
        query=JobListQuery,
        responses={200: JobList},
        errors=(403,),
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs/{{job_id}}",
        get_job,
        "Get a job",
        "jobs",
        params=_JOB,
        responses={200: Job},
        errors=(404,),
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs/{{job_id}}/status",
        get_job_status,
        "Get a job's status",
        "jobs",
        params=_JOB,
        responses={200: JobStatusView},
        errors=(404,),
    ),
    Endpoint(
        "POST",
        f"{PREFIX}/jobs/{{job_id}}/cancel",
        cancel_job,
        "Cancel a job",
        "jobs",
        params=_JOB,
        responses={200: JobChanged},
        errors=(404, 409),
        description="From pending, queued, running or paused; else 409 job_not_cancellable.",
    ),
    Endpoint(
        "POST",
        f"{PREFIX}/jobs/{{job_id}}/retry",
        retry_job,
        "Retry a job",
        "jobs",
        params=_JOB,
        query=RetryQuery,
        responses={200: JobChanged},
        errors=(404, 409),
        description=(
            "From failed or cancelled; else 409 job_not_retryable. A job whose last attempt "
            "may have submitted the application is retried only with force=true."
        ),
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs/{{job_id}}/events",
        list_job_events,
        "A page of a job's events",
        "jobs",
        params=_JOB,
        query=EventsQuery,
        responses={200: EventPage},
        errors=(404,),
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs/{{job_id}}/events/stream",
        stream_job_events,
        "Live job events (Server-Sent Events)",
        "jobs",
        params=_JOB,
        responses={200: None},
        errors=(404,),
        media_type="text/event-stream",
        description="Replays events after Last-Event-ID, then streams new ones; "
        "ends after a terminal status.",
    ),
    Endpoint(
        "GET",
        f"{PREFIX}/jobs/{{job_id}}/artifacts/{{artifact_id}}",
        get_artifact,
        "Download an artifact (screenshot, page snapshot)",
        "jobs",
        params={"job_id": uuid.UUID, "artifact_id": uuid.UUID},
        responses={200: None, 302: None},
        errors=(404, 503),
        media_type="application/octet-stream",
        description="The bytes when the database keeps them; a 302 to a signed, "
        "time-limited link when an object store does (GH_STORAGE_BACKEND).",
    ),
]
