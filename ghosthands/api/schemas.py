"""Request and response bodies of the HTTP API, as msgspec Structs.

These Structs are the schema: the API decodes and validates with them, the OpenAPI
document is generated from them, and the ``ghosthands jobs`` CLI client decodes its
answers with them. Bounds are ``msgspec.Meta`` constraints (so they appear in the
OpenAPI document); checks JSON Schema cannot express are ``Check`` markers or a
``check()`` method (see ``ghosthands.api.decoding``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct, field

from ghosthands.api.decoding import Alias, Check, FieldError, HttpUrl
from ghosthands.jobs.budgets import Quality, Tier
from ghosthands.jobs.states import JobStatus
from ghosthands.jobs.types import KNOWN_JOB_TYPES, accepted_job_types


def _known_job_type(value: Any) -> str | None:
    known = accepted_job_types()
    if value in known:
        return None
    return f"unknown job type {str(value)[:64]!r}; known types: {', '.join(known)}"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: Any) -> str | None:
    return None if isinstance(value, str) and _EMAIL.match(value) else "must be an email address"


def _input_data_errors(data: dict[str, Any], path: str) -> list[FieldError]:
    """The keys of input_data the platform itself reads (handlers validate the rest)."""
    errors = []
    if "tier" in data and data["tier"] not in {t.value for t in Tier}:
        errors.append(
            FieldError(f"{path}.tier", f"must be one of {', '.join(t.value for t in Tier)}")
        )
    if "quality" in data and data["quality"] not in {q.value for q in Quality}:
        errors.append(
            FieldError(f"{path}.quality", f"must be one of {', '.join(q.value for q in Quality)}")
        )
    for key in ("model", "platform"):
        if key in data and not (isinstance(data[key], str) and 0 < len(data[key]) <= 100):
            errors.append(FieldError(f"{path}.{key}", "must be a string of 1-100 characters"))
    for key in ("user_data", "qa_overrides"):
        if key in data and not isinstance(data[key], dict):
            errors.append(FieldError(f"{path}.{key}", "must be an object"))
    return errors


JobType = Annotated[
    str,
    Meta(min_length=1, max_length=64, description="One of: " + ", ".join(KNOWN_JOB_TYPES)),
    Check(_known_job_type),
]
Priority = Annotated[int, Meta(ge=1, le=10, description="1 runs first")]
MaxRetries = Annotated[int, Meta(ge=0, le=10)]
#: The longest a job may run (the column's CHECK says the same).
MAX_TIMEOUT_SECONDS = 1800
TimeoutSeconds = Annotated[int, Meta(ge=30, le=MAX_TIMEOUT_SECONDS)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Meta(max_length=20)]
IdempotencyKey = Annotated[str, Meta(min_length=1, max_length=255)]
ShortText = Annotated[str, Meta(max_length=255)]
Description = Annotated[str, Meta(max_length=10_000)]
JsonObject = dict[str, Any]
AwareDatetime = Annotated[dt.datetime, Meta(tz=True)]


# -- jobs ---------------------------------------------------------------------------------


class JobCreateRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /jobs``. ``user_id`` is required from the service caller; a user may omit it
    (it defaults to themselves) and may not name anyone else."""

    job_type: JobType
    target_url: HttpUrl
    task_description: Description = ""
    input_data: JsonObject = field(default_factory=dict)
    user_id: uuid.UUID | None = None
    priority: Priority = 5
    max_retries: MaxRetries = 3
    timeout_seconds: TimeoutSeconds = 300
    tags: Tags = field(default_factory=list)
    metadata: JsonObject = field(default_factory=dict)
    callback_url: HttpUrl | None = None
    valet_task_id: ShortText | None = None
    idempotency_key: IdempotencyKey | None = None
    scheduled_at: AwareDatetime | None = None
    target_worker_id: ShortText | None = None
    worker_affinity: Literal["strict", "preferred", "any"] = "any"

    def check(self) -> list[FieldError]:
        return _input_data_errors(self.input_data, "input_data")


class JobCreated(Struct):
    id: uuid.UUID
    status: JobStatus
    created_at: dt.datetime


class JobBatchRequest(Struct, forbid_unknown_fields=True):
    """``POST /jobs/batch``: 1-50 jobs, created in one transaction (all or none)."""

    jobs: Annotated[list[JobCreateRequest], Meta(min_length=1, max_length=50)]

    def check(self) -> list[FieldError]:
        errors: list[FieldError] = []
        seen: dict[str, int] = {}
        for i, job in enumerate(self.jobs):
            errors.extend(_input_data_errors(job.input_data, f"jobs[{i}].input_data"))
            key = job.idempotency_key
            if key is None:
                continue
            if key in seen:
                errors.append(
                    FieldError(
                        f"jobs[{i}].idempotency_key", f"repeats the key of jobs[{seen[key]}]"
                    )
                )
            seen.setdefault(key, i)
        return errors


class JobBatchCreated(Struct):
    jobs: list[JobCreated]


class Job(Struct, kw_only=True):
    """A job as the API shows it (never its stored resume answer)."""

    id: uuid.UUID
    user_id: uuid.UUID
    created_by: str
    job_type: str
    target_url: str
    task_description: str
    input_data: JsonObject
    priority: int
    status: JobStatus
    status_message: str | None
    max_retries: int
    retry_count: int
    timeout_seconds: int
    tags: list[str]
    metadata: JsonObject
    idempotency_key: str | None
    callback_url: str | None
    valet_task_id: str | None
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    last_heartbeat: dt.datetime | None
    worker_id: str | None
    target_worker_id: str | None
    worker_affinity: str
    result_data: JsonObject | None
    result_summary: str | None
    error_code: str | None
    error_details: JsonObject | None
    screenshot_urls: list[str]
    artifact_urls: list[str]
    interaction_type: str | None
    interaction_data: JsonObject | None
    paused_at: dt.datetime | None
    execution_mode: str | None
    final_mode: str | None
    llm_cost_cents: float
    action_count: int
    total_tokens: int
    created_at: dt.datetime
    updated_at: dt.datetime


SortKey = Literal["-created_at", "created_at", "-updated_at", "updated_at", "priority", "-priority"]


class JobListQuery(Struct, kw_only=True, forbid_unknown_fields=True):
    """Filters of ``GET /jobs``; ``status`` takes a comma-separated list."""

    user_id: uuid.UUID | None = None
    status: list[JobStatus] | None = None
    job_type: Annotated[str, Meta(max_length=64)] | None = None
    valet_task_id: ShortText | None = None
    tag: Tag | None = None
    sort: SortKey = "-created_at"
    limit: Annotated[int, Meta(ge=1, le=100)] = 20
    offset: Annotated[int, Meta(ge=0, le=1_000_000)] = 0


class JobList(Struct):
    jobs: list[Job]
    total: int
    limit: int
    offset: int


class Progress(Struct, kw_only=True):
    """The worker's latest progress event."""

    step: str | None = None
    message: str | None = None
    percent: float | None = None
    details: JsonObject = field(default_factory=dict)
    updated_at: dt.datetime | None = None


class JobStatusView(Struct, kw_only=True):
    id: uuid.UUID
    status: JobStatus
    status_message: str | None
    error_code: str | None
    retry_count: int
    progress: Progress | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    updated_at: dt.datetime


class JobChanged(Struct, kw_only=True, omit_defaults=True):
    """Answer of cancel and retry: the job's new status."""

    id: uuid.UUID
    status: JobStatus
    updated_at: dt.datetime
    retry_count: int | None = None


class JobEvent(Struct, kw_only=True):
    id: int
    job_id: uuid.UUID
    event_type: str
    from_status: str | None
    to_status: str | None
    message: str | None
    metadata: JsonObject
    actor: str | None
    created_at: dt.datetime


class RetryQuery(Struct, kw_only=True, forbid_unknown_fields=True):
    #: Run again although the last attempt may have submitted the application.
    force: bool = False


class EventsQuery(Struct, kw_only=True, forbid_unknown_fields=True):
    after_id: Annotated[int, Meta(ge=0)] = 0
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class EventPage(Struct):
    """Events in id order. Ask again with ``after_id=next_after_id`` while it is set."""

    events: list[JobEvent]
    next_after_id: int | None


# -- VALET --------------------------------------------------------------------------------

Name = Annotated[str, Meta(min_length=1, max_length=100)]
Text100 = Annotated[str, Meta(max_length=100)]
Text200 = Annotated[str, Meta(max_length=200)]


class Location(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    city: Text100 | None = None
    state: Text100 | None = None
    country: Text100 | None = None
    zip: Annotated[str, Meta(max_length=20)] | None = None


class Education(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    institution: Annotated[str, Meta(min_length=1, max_length=200)]
    degree: Text100 | None = None
    field: Text100 | None = None
    graduation_year: Annotated[int, Meta(ge=1950, le=2100)] | None = None


class WorkHistory(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    company: Annotated[str, Meta(min_length=1, max_length=200)]
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    start_date: Annotated[str, Meta(max_length=20)] | None = None
    end_date: Annotated[str, Meta(max_length=20)] | None = None
    description: Annotated[str, Meta(max_length=2000)] | None = None


class EEO(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Voluntary self-identification, in the applicant's own words."""

    gender: Text100 | None = None
    race: Text100 | None = None
    hispanic_latino: Text100 | bool | None = None
    veteran_status: Text100 | bool | None = None
    disability_status: Text100 | bool | None = None
    sexual_orientation: Text100 | None = None
    transgender: Text100 | bool | None = None


class Profile(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The applicant, as VALET knows them."""

    first_name: Name
    last_name: Name
    email: Annotated[str, Meta(max_length=320), Check(_email)]
    phone: Annotated[str, Meta(max_length=50)] | None = None
    linkedin_url: HttpUrl | None = None
    portfolio_url: HttpUrl | None = None
    location: Location | None = None
    work_authorization: Text200 | None = None
    salary_expectation: Text100 | None = None
    years_of_experience: Annotated[int, Meta(ge=0, le=80)] | None = None
    education: Annotated[list[Education], Meta(max_length=20)] = field(default_factory=list)
    work_history: Annotated[list[WorkHistory], Meta(max_length=50)] = field(default_factory=list)
    skills: Annotated[list[Text100], Meta(max_length=200)] = field(default_factory=list)
    cover_letter: Annotated[str, Meta(max_length=10000)] | None = None
    github_url: HttpUrl | None = None
    preferred_name: Text100 | None = None
    pronouns: Text100 | None = None
    #: The phone's kind ("Mobile" is assumed when absent).
    phone_type: Text100 | None = None
    #: "2027-01-04", "Immediately", "2 weeks".
    available_start_date: Text100 | None = None
    notice_period: Text100 | None = None
    date_of_birth: Annotated[str, Meta(max_length=20)] | None = None
    over_18: bool | None = None
    citizenship: Text100 | None = None
    languages: Annotated[list[Text100], Meta(max_length=50)] = field(default_factory=list)
    address: Text200 | None = None
    #: Voluntary self-identification; what is absent is declined, never guessed.
    eeo: EEO | None = None


class ResumeRef(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Where the resume file is: exactly one of the three."""

    storage_path: Annotated[str, Meta(min_length=1, max_length=1024)] | None = None
    s3_key: Annotated[str, Meta(min_length=1, max_length=1024)] | None = None
    download_url: HttpUrl | None = None
    file_name: Annotated[str, Meta(max_length=255)] | None = None

    def given(self) -> list[str]:
        return [
            name
            for name in ("storage_path", "s3_key", "download_url")
            if getattr(self, name) is not None
        ]


QaAnswers = Annotated[
    dict[Annotated[str, Meta(max_length=500)], Annotated[str, Meta(max_length=5000)]],
    Meta(max_length=200),
]


#: The original service's modes (every version of its contract), plus
#: ``review_before_submit``: fill, then pause for a person's approval (``/valet/resume``
#: continue submits, cancel does not).
ExecutionMode = Literal[
    "auto",
    "ai_only",
    "cookbook_only",
    "hybrid",
    "smart_apply",
    "agent_apply",
    "mastra",
    "mastra_decision",
    "review_before_submit",
]

#: The original contract's ATS names (every version of it); anything else is "other".
Platform = Literal[
    "greenhouse",
    "workday",
    "linkedin",
    "lever",
    "icims",
    "taleo",
    "smartrecruiters",
    "amazon",
    "other",
]

#: Longest job the original contract asks for. A job here runs at most TimeoutSeconds'
#: 1800 s (the column's bound): a longer request runs as 1800 rather than being refused.
ValetTimeoutSeconds = Annotated[
    int,
    Meta(
        ge=30,
        le=3600,
        description="Seconds. Up to 3600 is accepted (original contract); a job runs at "
        "most 1800 s here, so a longer value runs as 1800.",
    ),
]
ModelName = Annotated[str, Meta(min_length=1, max_length=100)]


def _same_uuid(a: Any, b: Any) -> bool:
    """Two spellings of one UUID (case, braces) are the same id; junk compares as text."""
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return bool(a == b)


class _ValetCommon(Struct, kw_only=True, forbid_unknown_fields=True):
    """What /valet/apply and /valet/task share: ours and the original contract's fields."""

    field_aliases: ClassVar[tuple[Alias, ...]] = (
        Alias("valet_user_id", "user_id", required=True, same=_same_uuid),
    )

    user_id: Annotated[uuid.UUID | None, Meta(description="The user the job is for.")] = None
    valet_user_id: uuid.UUID | None = None
    target_url: HttpUrl
    callback_url: HttpUrl | None = None
    quality: Quality = Quality.BALANCED
    tier: Tier | None = None
    priority: Priority = 5
    max_retries: MaxRetries = 3
    timeout_seconds: ValetTimeoutSeconds = 300
    idempotency_key: IdempotencyKey | None = None
    valet_task_id: ShortText | None = None
    tags: Tags = field(default_factory=list)
    metadata: JsonObject = field(default_factory=dict)
    model: ModelName | None = None
    #: A separate model for screenshots (original contract); stored with the job.
    image_model: ModelName | None = None
    execution_mode: ExecutionMode = "auto"
    #: Only this worker (its id, or the name its runs share) may run the job (strict),
    #: or it first (preferred); any worker when absent.
    target_worker_id: ShortText | None = None
    worker_affinity: Literal["strict", "preferred", "any"] = "preferred"
    #: VALET's credit-derived cap in USD (original contract); recorded with the job.
    credit_budget_usd: Annotated[float, Meta(gt=0, le=1000)] | None = None

    @property
    def owner(self) -> uuid.UUID:
        """The user the job is for, from whichever of the two names was sent."""
        assert self.user_id is not None, "validate() folds valet_user_id into user_id"
        return self.user_id


class ValetApplyRequest(_ValetCommon, kw_only=True, forbid_unknown_fields=True):
    """``POST /valet/apply``: apply to one job posting for a user."""

    profile: Profile
    resume: ResumeRef | None = None
    qa_answers: QaAnswers = field(default_factory=dict)
    platform: Platform | None = None
    task_description: Description = ""
    #: The employer, for "have you worked for us before?" (else ``metadata.company_name``).
    company_name: Text200 | None = None

    def check(self) -> list[FieldError]:
        if self.resume is not None and len(self.resume.given()) != 1:
            return [
                FieldError("resume", "must give exactly one of storage_path, s3_key, download_url")
            ]
        return []


class ValetTaskRequest(_ValetCommon, kw_only=True, forbid_unknown_fields=True):
    """``POST /valet/task``: any job type on behalf of a user."""

    job_type: JobType
    task_description: Description = ""
    input_data: JsonObject = field(default_factory=dict)

    def check(self) -> list[FieldError]:
        return _input_data_errors(self.input_data, "input_data")


class ValetJobAccepted(Struct):
    job_id: uuid.UUID
    valet_task_id: str | None
    status: JobStatus
    created_at: dt.datetime


class ValetDuplicate(Struct, kw_only=True):
    """409 of /valet/apply and /valet/task: the API's error body, plus the original
    contract's answer (``job_id``, ``valet_task_id``, ``status``, ``duplicate``), which
    VALET's client reads to carry on with the job it already has."""

    error: str
    message: str
    details: list[JsonObject] | None = None
    existing_job_id: str | None = None
    job_id: uuid.UUID | None = None
    valet_task_id: str | None = None
    status: JobStatus | None = None
    duplicate: bool = True


ResumeAction = Literal["continue", "code", "skip", "credentials", "cancel"]
ResolutionType = Literal["manual", "code_entry", "credentials", "skip"]

#: What each of the original contract's resolution types asks of the worker here.
RESOLUTION_ACTIONS: dict[str, ResumeAction] = {
    "manual": "continue",
    "code_entry": "code",
    "credentials": "credentials",
    "skip": "skip",
}
#: The original contract's name of each action (``cancel`` has none: it is ours).
ACTION_RESOLUTIONS: dict[str, str] = {v: k for k, v in RESOLUTION_ACTIONS.items()}

Code = Annotated[str, Meta(min_length=1, max_length=64)]
Username = Annotated[str, Meta(min_length=1, max_length=320)]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
Note = Annotated[str, Meta(max_length=2000)]


@dataclasses.dataclass(frozen=True)
class Resolution:
    """The one answer a resume body means, whichever spelling it used."""

    action: ResumeAction
    code: str | None = None
    username: str | None = None
    password: str | None = None
    note: str | None = None


class ValetResumeRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /valet/resume/{job_id}``: a human resolved what paused the job.

    Two spellings, one meaning (:meth:`resolution`): ours (``action`` with ``code``,
    ``username``, ``password``) and the original contract's (``resolution_type`` with
    ``resolution_data`` {code | username/email, password}, ``resolved_by``). Neither
    action nor resolution type means ``continue`` (the original's ``manual``).
    """

    field_aliases: ClassVar[tuple[Alias, ...]] = (
        Alias("resolution_notes", "note"),
        # What VALET's client sends (the original service ignored it).
        Alias("notes", "note", origin="VALET's client"),
    )

    action: Annotated[
        ResumeAction | None,
        Meta(description="Canonical; resolution_type (original contract) says the same."),
    ] = None
    code: Code | None = None
    username: Username | None = None
    password: Password | None = None
    note: Note | None = None
    resolution_type: Annotated[
        ResolutionType | None,
        Meta(
            description="Original contract; means action manual=continue, code_entry=code, "
            "credentials=credentials, skip=skip. If both are sent they must agree."
        ),
    ] = None
    resolution_data: Annotated[
        JsonObject | None,
        Meta(
            description="Original contract: {code} for code_entry, {username or email, "
            "password} for credentials (the fields code, username, password are canonical)."
        ),
    ] = None
    #: Who resolved it (original contract; "human" when absent).
    resolved_by: Literal["human", "system"] | None = None
    resolution_notes: Annotated[str, Meta(max_length=500)] | None = None
    notes: Note | None = None

    def resolution(self) -> Resolution:
        """The answer for the worker (call after validation: :meth:`check` passed)."""
        data = self.resolution_data or {}
        action = self.action or RESOLUTION_ACTIONS[self.resolution_type or "manual"]
        code = self.code or _text(data.get("code"))
        username = self.username or _text(data.get("username")) or _text(data.get("email"))
        password = self.password or _text(data.get("password"))
        return Resolution(
            action=action,
            code=code if action == "code" else None,
            username=username if action == "credentials" else None,
            password=password if action == "credentials" else None,
            note=self.note,
        )

    def check(self) -> list[FieldError]:
        errors = self._spelling_errors()
        if errors:
            return errors
        answer = self.resolution()
        ours = self.resolution_type is None
        if answer.action == "code" and answer.code is None:
            where = "code" if ours else "resolution_data.code"
            errors.append(FieldError(where, "is required when action is 'code'"))
        if answer.action == "credentials" and answer.password is None:
            where = "password" if ours else "resolution_data.password"
            errors.append(FieldError(where, "is required when action is 'credentials'"))
        if answer.action != "credentials":
            errors.extend(
                FieldError(name, "is only accepted when action is 'credentials'")
                for name in ("username", "password")
                if getattr(self, name) is not None
            )
        return errors

    def _spelling_errors(self) -> list[FieldError]:
        """The two spellings disagree, or resolution_data holds what no field could."""
        errors = []
        if self.action is not None and self.resolution_type is not None:
            meant = RESOLUTION_ACTIONS[self.resolution_type]
            if meant != self.action:
                errors.append(
                    FieldError(
                        "resolution_type",
                        f"means action {meant!r}, which conflicts with action {self.action!r}",
                    )
                )
        bounds = {"code": Code, "username": Username, "email": Username, "password": Password}
        for key, tp in bounds.items():
            value = (self.resolution_data or {}).get(key)
            if value is None:
                continue
            try:
                msgspec.convert(_text(value) or value, tp)
            except msgspec.ValidationError as exc:
                errors.append(FieldError(f"resolution_data.{key}", str(exc).split(" - at ")[0]))
        return errors


def _text(value: Any) -> str | None:
    """A code or login as text: codes may arrive as numbers (123456)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


class ValetResumeAccepted(Struct, kw_only=True):
    job_id: uuid.UUID
    #: The job's status now: ``paused`` until the worker takes the answer and runs on
    #: (the original service answered ``running`` here).
    status: JobStatus
    action: str
    event_id: int
    #: Original contract: who resolved it ("human" unless told) and the resolution type.
    resolved_by: str
    resolution_type: str


class JobOutcome(Struct, kw_only=True):
    data: JsonObject | None
    summary: str | None
    screenshot_urls: list[str]
    artifact_urls: list[str]
    #: The original contract's name of ``screenshot_urls``.
    screenshots: list[str]


class JobErrorView(Struct, kw_only=True):
    code: str | None
    message: str | None
    details: JsonObject | None


class Interaction(Struct, kw_only=True):
    """Why a paused job waits for a human, and whether an answer is on its way."""

    type: str | None
    data: JsonObject | None
    paused_at: dt.datetime | None
    #: Original contract: the latest screenshot, the page, and how long the job waits.
    screenshot_url: str | None
    page_url: str | None
    timeout_seconds: int


class ValetProgress(Progress, kw_only=True):
    """Progress with the original contract's names as well."""

    #: ``percent`` under its original name.
    progress_pct: float | None = None
    #: ``message`` under its original name.
    description: str | None = None


class Timestamps(Struct, kw_only=True):
    """The original contract's grouping of a job's times."""

    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


class CostBreakdown(Struct, kw_only=True):
    llm_cost_cents: float
    total_cost_usd: float
    total_tokens: int
    action_count: int
    quality: str | None
    tier: str | None
    job_budget_cents: int | None


class ValetStatus(Struct, kw_only=True):
    job_id: uuid.UUID
    valet_task_id: str | None
    job_type: str
    status: JobStatus
    status_message: str | None
    progress: ValetProgress | None
    result: JobOutcome | None
    error: JobErrorView | None
    interaction: Interaction | None
    cost_breakdown: CostBreakdown
    retry_count: int
    max_retries: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    updated_at: dt.datetime
    # -- the original contract's fields ---------------------------------------------
    worker_id: str | None
    target_worker_id: str | None
    execution_mode: str
    #: Always "server": browsers run on the workers.
    browser_mode: str
    final_mode: str | None
    #: Always null: no per-job record of a replayed manual is kept here.
    manual: JsonObject | None
    timestamps: Timestamps


WorkerName = Annotated[str, Meta(min_length=1, max_length=255)]


class WorkerDeregisterRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Take a worker out of rotation: the worker with that id, and the runs named after
    it (``<name>-<12 hex>``, as jobs aimed at a name are claimed).

    ``offline`` hands its jobs back by the one rule (submission evidence: awaiting_review;
    else pending, or failed when out of retries), or with ``cancel_active_jobs`` fails
    them (``worker_deregistered``; evidence still goes to awaiting_review). ``draining``
    only stops it being counted as available (it finishes its jobs).
    """

    field_aliases: ClassVar[tuple[Alias, ...]] = (
        Alias("target_worker_id", "worker_id", required=True),
    )

    worker_id: WorkerName | None = None
    target_worker_id: WorkerName | None = None
    status: Literal["offline", "draining"] = "offline"
    reason: Annotated[str, Meta(max_length=500)] | None = None
    cancel_active_jobs: bool = False
    #: Original contract; recorded with the worker (the worker's own drain limit applies).
    drain_timeout_seconds: Annotated[int, Meta(ge=0, le=300)] | None = None

    @property
    def name(self) -> str:
        assert self.worker_id is not None, "validate() folds target_worker_id into worker_id"
        return self.worker_id

    def check(self) -> list[FieldError]:
        if self.cancel_active_jobs and self.status != "offline":
            return [FieldError("cancel_active_jobs", "needs status 'offline'")]
        return []


class WorkerDeregistered(Struct, kw_only=True):
    worker_id: str
    status: str
    #: Every job taken from the workers, whatever it became.
    released_job_ids: list[uuid.UUID]
    # -- the original contract's fields ---------------------------------------------
    deregistered_workers: list[str]
    #: Jobs failed with worker_deregistered (cancel_active_jobs).
    cancelled_job_ids: list[uuid.UUID]
    reason: str | None


class BrowserSession(Struct, kw_only=True):
    """A saved login session (its encrypted storage state is never returned)."""

    id: uuid.UUID
    domain: str
    key_id: str
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SessionList(Struct):
    user_id: uuid.UUID
    sessions: list[BrowserSession]
    count: int


class SessionDeleted(Struct):
    """One saved session forgotten (the original contract's answer)."""

    user_id: uuid.UUID
    domain: str
    deleted: bool


class ValetSessionDeleteRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Optional body of ``DELETE /valet/sessions/{user_id}`` (original contract): with a
    domain, only that domain's session is forgotten."""

    domain: Annotated[str, Meta(min_length=1, max_length=255)] | None = None


class SessionsDeleted(Struct):
    user_id: uuid.UUID
    deleted: int
    #: ``deleted`` under its original name.
    deleted_count: int


ReviewOutcome = Literal["submitted", "failed", "retry"]


class ValetReviewRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /valet/review/{job_id}``: a person checked a job held in awaiting_review.

    ``submitted``: it went out (completed); ``failed``: it did not (failed,
    ``not_submitted`` unless the run left a code); ``retry``: run it again, which needs
    ``force`` when the last attempt may have submitted (the jobs retry rule).
    """

    outcome: ReviewOutcome
    note: Note | None = None
    force: bool = False

    def check(self) -> list[FieldError]:
        if self.force and self.outcome != "retry":
            return [FieldError("force", "is only accepted with outcome 'retry'")]
        return []


class ValetReviewed(Struct, kw_only=True):
    job_id: uuid.UUID
    outcome: str
    status: JobStatus
    retry_count: int
    updated_at: dt.datetime


# -- users and monitoring -----------------------------------------------------------------


class Usage(Struct, kw_only=True):
    """Month-to-date LLM spend of a user against their tier's monthly budget."""

    user_id: uuid.UUID
    period_start: dt.date
    tier: Tier
    cost_cents: float
    total_tokens: int
    job_count: int
    budget_cents: int
    remaining_cents: float
    percent_used: float
    budget_exceeded: bool


class CheckResult(Struct, kw_only=True, omit_defaults=True):
    ok: bool
    detail: str | None = None
    latency_ms: float | None = None


class WorkerHeartbeat(Struct, kw_only=True):
    worker_id: str
    status: str
    #: Shown to the service caller only (send its key to the public monitoring routes).
    host: str | None
    current_jobs: int
    max_jobs: int
    last_heartbeat: dt.datetime
    heartbeat_age_seconds: float
    stale: bool


class WorkersCheck(Struct, kw_only=True):
    ok: bool
    active: int
    stale: int
    workers: list[WorkerHeartbeat]


class LlmCheck(Struct, kw_only=True):
    ok: bool
    providers: dict[str, bool]


class SchemaCheck(Struct, kw_only=True):
    """The schema this code expects against the database's (``ok`` when the database
    is at least as new: a newer one is the next release's expand step)."""

    ok: bool
    expected: int
    database: int | None


class MonitoringChecks(Struct, kw_only=True):
    database: CheckResult
    schema: SchemaCheck
    workers: WorkersCheck | None
    llm: LlmCheck
    storage: CheckResult


class MonitoringHealth(Struct, kw_only=True):
    """``healthy``: all good; ``degraded``: serving but no live worker (200);
    ``unhealthy``: the database is unreachable or behind the code's schema (503). A
    missing LLM key is reported under ``llm`` but degrades nothing: jobs that need no
    model run without one."""

    status: Literal["healthy", "degraded", "unhealthy"]
    version: str
    commit_sha: str
    timestamp: dt.datetime
    checks: MonitoringChecks


def to_struct(row: dict[str, Any], model: type[Any]) -> Any:
    """A database row (dict) as a response Struct; numerics become floats."""
    clean = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
    return msgspec.convert(clean, model, from_attributes=False)
