"""Learned replay for applications: the model's answers of an applicant's successful
application, replayed on their next application to the same site layout with no model
call.

The form engine answers everything the profile and ``qa_answers`` answer on its own; a
model is asked only for the rest (``ghosthands.browser.model_answers``). Those answers
are the applicant's (why they want the job, a project they are proud of), so what is
learned is kept per applicant: a manual in ``gh_action_manuals`` keyed by the site's
URL pattern, the job type and the applicant (:func:`learned_key`), never shared with
another user. It holds each answer with the question and field kind it answered, the
model that gave it, and a fingerprint of what that model was told (the profile it is
shown and the applicant's answers): a changed profile is a mismatch, so an answer is
never replayed from facts the applicant has since corrected.

:class:`LearnedAnswerer` stands in front of the job's model. Asked about a step's open
fields, it answers from the manual when the manual answers every one of them, each
answer still fitting the field (an option still offered, within the length and pattern);
at the first step it cannot answer whole it stops replaying for the rest of the job and
passes that step, and every later one, to the model (or, with no model, leaves them open
for ``missing_answer`` as before). The handler then moves the manual's health
(:meth:`LearnedApplication.finish`): up for a job that submitted on replayed answers
alone, down for a mismatch or a job that failed after replayed answers; a submitted
application that needed the model records its answers afresh.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from ghosthands.browser.answers import normalise
from ghosthands.browser.flow import FieldAnswerer, OpenField
from ghosthands.browser.model_answers import question_for
from ghosthands.jobs.contract import HandlerResult, JobSpec
from ghosthands.llm.manuals import MIN_HEALTH, task_key, url_pattern
from ghosthands.llm.questions import valid_answer
from ghosthands.logs import get_logger

if TYPE_CHECKING:
    from ghosthands.db.manuals import ManualStore

log = get_logger(__name__)


class LearnedAnswer(msgspec.Struct, frozen=True):
    question: str
    #: The field's kind when answered (``radio``, ``textarea``, ...): a field of another
    #: kind under the same wording is a mismatch.
    kind: str
    answer: str
    model: str


class LearnedSteps(msgspec.Struct):
    """What the manual row's ``steps`` hold for an application."""

    #: :func:`request_fingerprint` of the request the answers were given for.
    request: str
    answers: list[LearnedAnswer]


def learned_key(user_id: uuid.UUID) -> str:
    """The manual's task key: one applicant's answers, never another's."""
    return task_key(f"learned application answers for user {user_id}")


def request_fingerprint(profile: dict[str, Any], qa_answers: dict[str, str]) -> str:
    """A digest of what the model is told about the applicant (key order ignored)."""
    encoded = msgspec.json.encode([profile, qa_answers], order="sorted")
    return hashlib.sha256(encoded).hexdigest()


def _key(question: str, kind: str) -> tuple[str, str]:
    return normalise(question), kind


class LearnedAnswerer:
    """A :class:`~ghosthands.browser.flow.FieldAnswerer`: the manual first, then the model."""

    def __init__(self, learned: LearnedSteps | None, model: FieldAnswerer | None) -> None:
        self._model = model
        self._learned = {_key(a.question, a.kind): a for a in learned.answers} if learned else {}
        self._replaying = bool(self._learned)
        self.source = model.source if model is not None else "model:none"
        #: Why the replay stopped, when it did ("step needs ...").
        self.mismatch: str | None = None
        #: Steps answered from the manual, and steps the model answered.
        self.replayed_steps = 0
        self.model_steps = 0
        #: Everything handed to the flow, by question and kind.
        self.given: dict[tuple[str, str], LearnedAnswer] = {}

    @property
    def replayed(self) -> bool:
        return self.replayed_steps > 0

    async def answer(
        self,
        fields: Sequence[OpenField],
        *,
        context: str,
        screenshot: Callable[[], Awaitable[bytes | None]],
    ) -> dict[int, str]:
        if self._replaying:
            answers = self._from_manual(fields)
            if answers is not None:
                self.replayed_steps += 1
                return answers
            self._replaying = False
        if self._model is None:
            return {}
        answers = await self._model.answer(fields, context=context, screenshot=screenshot)
        self.model_steps += 1
        self.source = self._model.source
        model = self.source.removeprefix("model:")
        for index, text in answers.items():
            f = fields[index].field
            self.given[_key(f.question, f.kind)] = LearnedAnswer(f.question, f.kind, text, model)
        return answers

    def _from_manual(self, fields: Sequence[OpenField]) -> dict[int, str] | None:
        """Answers for every field a model would be asked, or None (a mismatch)."""
        answers: dict[int, str] = {}
        models: set[str] = set()
        for index, open_field in enumerate(fields):
            question = question_for(index, open_field)
            if question is None:
                continue  # never a model's: not the manual's either
            f = open_field.field
            learned = self._learned.get(_key(f.question, f.kind))
            if learned is None:
                self.mismatch = f"no learned answer for {f.question!r} ({f.kind})"
                return None
            text = valid_answer(question, learned.answer)
            if text is None:
                self.mismatch = f"the learned answer no longer fits {f.question!r}"
                return None
            answers[index] = text
            models.add(learned.model)
            self.given[_key(f.question, f.kind)] = LearnedAnswer(
                f.question, f.kind, text, learned.model
            )
        if not answers:
            return None
        self.source = "learned:" + ",".join(sorted(models))
        return answers


class LearnedApplication:
    """One job's use of its applicant's manual: load it, replay it, record the outcome."""

    def __init__(self, store: ManualStore | None, job: JobSpec, fingerprint: str) -> None:
        self._store = store
        self._pattern = url_pattern(job.target_url)
        self._job_type = job.job_type
        self._key = learned_key(job.user_id)
        self._fingerprint = fingerprint
        self._manual_id: uuid.UUID | None = None
        self.answerer: LearnedAnswerer | None = None

    async def load(self, model: FieldAnswerer | None) -> FieldAnswerer | None:
        """The answerer for the flow: ``model`` behind the manual when there is one."""
        learned: LearnedSteps | None = None
        if self._store is not None:
            row = await self._store.find(self._pattern, self._job_type, self._key)
            if row is not None and float(row["health_score"]) >= MIN_HEALTH:
                steps = msgspec.convert(row["steps"], LearnedSteps)
                self._manual_id = row["id"]
                if steps.request == self._fingerprint:
                    learned = steps
                else:
                    log.info("learned_answers_stale", manual_id=str(self._manual_id))
        self.answerer = LearnedAnswerer(learned, model)
        if self._manual_id is not None and learned is None:
            self.answerer.mismatch = "the applicant's profile or answers changed"
        if learned is None and model is None:
            return None
        return self.answerer

    def final_mode(self) -> str | None:
        """``form_engine+manual`` when the model's part came from the manual alone."""
        a = self.answerer
        if a is not None and a.replayed and not a.model_steps:
            return "form_engine+manual"
        if a is not None and a.replayed:
            return "form_engine+manual+model"
        return None

    async def finish(
        self, result: HandlerResult | None, answers_from_model: list[dict[str, Any]]
    ) -> None:
        """Record the outcome: ``result`` None when the job failed. A failure to record
        is logged; it never changes the job's outcome."""
        try:
            await self._record(result, answers_from_model)
        except Exception as exc:
            log.warning("learned_answers_not_recorded", error=str(exc))

    async def _record(
        self, result: HandlerResult | None, answers_from_model: list[dict[str, Any]]
    ) -> None:
        a = self.answerer
        if self._store is None or a is None:
            return
        submitted = (
            result is not None
            and result.final_status == "completed"
            and result.result_data.get("submitted") is True
        )
        if self._manual_id is not None and (a.mismatch or (a.replayed and not submitted)):
            health = await self._store.replay_failed(self._manual_id)
            log.info("learned_answers_failed", reason=a.mismatch, health=health)
        if not submitted:
            return
        if a.replayed and not a.model_steps and not a.mismatch:
            assert self._manual_id is not None
            await self._store.replay_succeeded(self._manual_id)
            return
        used = {normalise(entry["question"]) for entry in answers_from_model}
        kept = [g for key, g in a.given.items() if key[0] in used]
        if kept and a.model_steps:
            steps = LearnedSteps(self._fingerprint, kept)
            await self._store.save(
                self._pattern,
                self._job_type,
                self._key,
                msgspec.json.encode(steps).decode(),
            )
