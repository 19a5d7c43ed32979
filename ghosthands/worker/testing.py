"""Run a handler the way the worker runs it, without a worker process: for tests, and
for plugin authors testing their own handlers (as queue libraries ship a testing module).

:class:`JobBench` inserts a real job row (through the API's ``JobSubmissions``), claims
it with the worker's :class:`~ghosthands.jobs.queue.JobQueue` and hands back a
:class:`TestJobContext`: the worker's own :class:`WorkerJobContext`, so every write is
fenced, every model call is priced and held to the budgets, every action is counted,
exactly as in production. What it adds is a person: ``human`` answers each pause through
the same path ``POST /valet/resume`` takes (``JobSubmissions.request_resume``), and a
record of what was asked, for tests to read back.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import msgspec

from ghosthands.config import Settings
from ghosthands.crypto import KeyRing, resume_password_context
from ghosthands.db.pool import Database
from ghosthands.jobs.contract import HumanResolution, JobSpec
from ghosthands.jobs.queue import JobQueue, artifact_url
from ghosthands.jobs.submissions import JobSubmissions, NewJob
from ghosthands.storage import Storage
from ghosthands.worker.context import RunningJob, WorkerJobContext

#: Answers a pause: given its type and data, what the person says (None: nobody answers).
HumanScript = Callable[[str, dict[str, Any]], HumanResolution | None]

#: How long a scripted person waits for the job to show as paused before giving up.
_PAUSE_SEEN_SECONDS = 10.0


def scripted(answers: Sequence[HumanResolution | None]) -> HumanScript:
    """A person who gives ``answers`` in order, then stops answering."""
    queue = list(answers)
    return lambda _kind, _data: queue.pop(0) if queue else None


class TestJobContext(WorkerJobContext):
    """The worker's job context, with a scripted person and a record of what happened."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        handle: RunningJob,
        queue: JobQueue,
        submissions: JobSubmissions,
        settings: Settings,
        browser: Any = None,
        *,
        human: HumanScript | None = None,
        storage: Storage | None = None,
    ) -> None:
        super().__init__(handle, queue, settings, browser, storage=storage)
        self.submissions = submissions
        self.human = human
        #: Each pause: type, data, screenshot bytes, its artifact URL, and the job row's
        #: ``status:interaction_type`` seen while it waited.
        self.pauses: list[dict[str, Any]] = []
        #: Each model call recorded: (model, input tokens, output tokens, cost in cents).
        self.usage_calls: list[tuple[str, int, int, float]] = []

    async def record_llm_usage(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        self.usage_calls.append((model, input_tokens, output_tokens, cost_cents))
        await super().record_llm_usage(model, input_tokens, output_tokens, cost_cents)

    async def wait_for_human(
        self,
        interaction_type: str,
        interaction_data: dict[str, Any],
        screenshot: bytes | None = None,
        timeout_seconds: float | None = None,
    ) -> HumanResolution:
        pause: dict[str, Any] = {
            "type": interaction_type,
            "data": interaction_data,
            "screenshot": screenshot,
            "url": None,
            "row": None,
        }
        self.pauses.append(pause)
        answer = self.human(interaction_type, interaction_data) if self.human else None
        failure: Exception | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._person, pause, answer)
            try:
                resolution = await super().wait_for_human(
                    interaction_type, interaction_data, screenshot, timeout_seconds
                )
            except Exception as exc:  # a timeout or a cancel: raised as the worker sees it
                failure = exc
            tg.cancel_scope.cancel()
        if failure is not None:
            raise failure
        return resolution

    async def _person(self, pause: dict[str, Any], answer: HumanResolution | None) -> None:
        """See the pause as VALET would, then answer it through the API's own path."""
        with anyio.fail_after(_PAUSE_SEEN_SECONDS):
            while True:
                state = await self.row()
                if state["status"] == "paused":
                    break
                await anyio.sleep(0.02)
        pause["row"] = f"{state['status']}:{state['interaction_type']}"
        pause["url"] = await self._latest_screenshot(pause["type"])
        if answer is None:
            return  # nobody answers: the context's own timeout decides
        ref: dict[str, Any] = {
            k: v
            for k, v in msgspec.to_builtins(answer).items()
            if v is not None and k != "password"
        }
        if answer.password is not None:
            ring = KeyRing(self.settings.encryption_keys) if self.settings.encryption_keys else None
            if ring is None:
                ref["password"] = answer.password  # no key here: the context reads it plain
            else:
                sealed = ring.encrypt_text(answer.password, resume_password_context(self.job.id))
                ref["password_enc"] = base64.b64encode(sealed).decode()
        await self.submissions.request_resume(
            self.job.id, ref, owner=None, action=answer.action, note=answer.note
        )
        self.handle.wake()

    async def _latest_screenshot(self, interaction_type: str) -> str | None:
        for artifact in reversed(await self.artifacts()):
            if artifact["name"] == f"{interaction_type}.png":
                return artifact_url(self.job.id, artifact["id"])
        return None

    # -- what tests read back --------------------------------------------------------

    async def steps(self) -> list[str]:
        """The job's progress steps, in order."""
        events = await self.submissions.events(self.job.id, owner=None)
        return [
            str((e["metadata"] or {}).get("step")) for e in events if e["event_type"] == "progress"
        ]

    async def artifacts(self) -> list[dict[str, Any]]:
        """The job's stored artifacts (id, name, content type, size, content, and where an
        object store keeps it), oldest first."""
        async with self.queue.db.autocommit() as conn:
            cur = await conn.execute(
                "SELECT id, name, content_type, size_bytes, content, storage_url FROM gh_artifacts "
                "WHERE job_id = %s ORDER BY created_at, id",
                (self.job.id,),
            )
            return [dict(row) for row in await cur.fetchall()]

    async def row(self) -> dict[str, Any]:
        """The job's row as it is now."""
        return await self.submissions.get(self.job.id, owner=None)


class JobBench:
    """Starts jobs for one test: real rows, claimed by the worker's queue."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        worker_id: str = "test-worker",
        storage: Storage | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        #: The object store the contexts use (the worker's own: ``open_storage``).
        self.storage = storage
        self.queue = JobQueue(db, worker_id)
        self.submissions = JobSubmissions(db, actor="test")

    async def start(
        self,
        job_type: str,
        target_url: str = "http://127.0.0.1/",
        input_data: dict[str, Any] | None = None,
        *,
        user_id: uuid.UUID | None = None,
        task_description: str = "",
        browser: Any = None,
        human: HumanScript | Sequence[HumanResolution | None] | None = None,
    ) -> TestJobContext:
        """Submit a job, claim it as a worker would and mark it running."""
        row = await self.submissions.create(
            NewJob(
                user_id=user_id or uuid.uuid4(),
                created_by="api",
                job_type=job_type,
                target_url=target_url,
                task_description=task_description,
                input_data=input_data or {},
            ),
            owner=None,
        )
        if human is not None and not callable(human):
            human = scripted(human)
        return await self._run(row["id"], browser, human)

    async def retry(self, ctx: TestJobContext, *, browser: Any = None) -> TestJobContext:
        """Fail ``ctx``'s attempt as retryable (the worker's path, no delay) and claim the
        next attempt: what the job spent so far comes along, as in production."""
        outcome = await self.queue.fail(
            ctx.job,
            code="internal_error",
            message="retried by the test",
            details={},
            retryable=True,
            delay_seconds=0,
        )
        if outcome is None or outcome.status != "pending":
            raise AssertionError(f"job {ctx.job.id} was not put back for a retry: {outcome}")
        return await self._run(ctx.job.id, browser, ctx.human)

    async def _run(
        self, job_id: uuid.UUID, browser: Any, human: HumanScript | None
    ) -> TestJobContext:
        spec = await self._claim(job_id)
        if not await self.queue.mark_running(spec):
            raise AssertionError(f"job {spec.id} could not be marked running")
        return TestJobContext(
            RunningJob(spec),
            self.queue,
            self.submissions,
            self.settings,
            browser,
            human=human,
            storage=self.storage,
        )

    async def _claim(self, job_id: uuid.UUID) -> JobSpec:
        claimed = await self.queue.claim(1, worker_prefix="test", preferred_grace_seconds=0)
        if not claimed or claimed[0].spec.id != job_id:
            got = [str(c.spec.id) for c in claimed]
            raise AssertionError(f"expected to claim job {job_id}, claimed {got}")
        return claimed[0].spec
