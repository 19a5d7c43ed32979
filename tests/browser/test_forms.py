"""Each sample application form, filled by the real engine in real Chromium.

The site records what it received; every test checks the exact field values and the
resume bytes, including fields that must stay empty (optional ones nobody answered, a
honeypot, a second file input).
"""

from __future__ import annotations

from typing import Any

import pytest

from ghosthands.handlers.apply import ApplyHandler
from ghosthands.handlers.base import HandlerResult
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, sample_resume_pdf

pytestmark = pytest.mark.anyio

RESUME = sample_resume_pdf()


def apply_input(resume_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_url, "filename": "ada-lovelace-resume.pdf"},
        **extra,
    }


async def test_classic_single_page_form(sample_site, run_job, resume_server) -> None:
    site, server = sample_site
    result, harness = await run_job(
        ApplyHandler(), f"{server.url}/apply/classic", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    [received] = site.received("classic")
    assert received.fields == {
        "first_name": "Ada",  # label for=
        "last_name": "Lovelace",  # wrapping label
        "preferred_name": "",  # optional, no answer: untouched
        "email": "ada.lovelace@example.com",  # placeholder only
        "phone": "+1 415 555 0132",  # aria-label
        "q_li": "https://www.linkedin.com/in/ada-lovelace",  # aria-labelledby
        "website": "https://ada-lovelace.dev",
        "f_city": "San Francisco",  # autocomplete only
        "postal_code": "94107",  # name only
        "country": "US",  # "United States" -> "United States of America"
        "work_auth": "yes",  # fieldset legend + radios
        "sponsorship": "no",
        "years_experience": "6-10",  # 7 years -> a range option
        "salary": "150000",
        "source": "linkedin",  # qa_answers, reworded question
        "cover_letter": "",  # optional textarea, no answer
        "cover_letter_file": "",  # a file input that is not for the resume
        "contact_me_by_fax": "",  # honeypot (off-screen) stays empty
        "privacy": "agreed",  # required consent ticked; optional "job alerts" not sent
    }
    assert received.files["resume"].data == RESUME
    assert received.files["resume"].filename == "ada-lovelace-resume.pdf"
    assert result.result_data["confirmation_id"] == received.confirmation_id
    assert result.result_data["submitted"] is True
    steps = await harness.steps()
    for step in ("navigating", "filling_form", "uploading_resume", "submitting", "submitted", "confirmed"):
        assert step in steps
    assert steps.index("submitted") < steps.index("confirmed")
    assert any(a["name"] == "final.png" and a["size_bytes"] > 1000 for a in await harness.artifacts())
