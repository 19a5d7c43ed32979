"""The submit gate (``execution_mode: review_before_submit``): fill everything, pause with a
screenshot for a person, submit only on their approval, through the worker's own context."""

from __future__ import annotations

from typing import Any

import pytest

from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS
from ghosthands.worker.context import HumanCancelled

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n"


def gated(resume_url: str) -> dict[str, Any]:
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_url, "filename": "ada-lovelace-resume.pdf"},
        "execution_mode": "review_before_submit",
    }


async def test_the_gate_pauses_filled_and_submits_once_approved(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    sent_when_asked: list[int] = []

    def person(kind: str, data: dict[str, Any]) -> HumanResolution:
        sent_when_asked.append(len(site.received()))
        return HumanResolution(action="continue")

    result, ctx = await run_job(
        ApplyHandler(), f"{server.url}/apply/classic", gated(resume_server), human=person
    )
    assert isinstance(result, HandlerResult), result
    assert sent_when_asked == [0]  # nothing had left the page when the person was asked
    [pause] = ctx.pauses
    assert pause["type"] == "review_before_submit"
    assert pause["row"] == "paused:review_before_submit"  # the job really waited, paused
    assert pause["screenshot"].startswith(PNG)
    shown = {(f["value"], f["source"]) for f in pause["data"]["fields"]}
    assert ("Ada", "profile:first_name") in shown  # the person sees what will be sent
    assert pause["data"]["submit_button"]
    [received] = site.received("classic")
    assert received.fields["first_name"] == "Ada"
    assert result.result_data["submitted"] is True
    steps = await ctx.steps()
    assert steps.index("awaiting_approval") < steps.index("approved") < steps.index("submitted")


async def test_cancel_at_the_gate_leaves_without_submitting(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    with pytest.raises(HumanCancelled):
        await run_job(
            ApplyHandler(),
            f"{server.url}/apply/classic",
            gated(resume_server),
            human=[HumanResolution(action="cancel", note="not this one")],
        )
    assert site.received() == []


async def test_no_answer_at_the_gate_times_out_with_nothing_sent(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    result, ctx = await run_job(
        ApplyHandler(), f"{server.url}/apply/classic", gated(resume_server), human=[None]
    )
    assert isinstance(result, JobFailure) and result.code == ErrorCode.HITL_TIMEOUT
    assert site.received() == []
    assert "submitted" not in await ctx.steps()
