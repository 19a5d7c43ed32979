"""Each sample application form, filled by the real engine in real Chromium.

The site records what it received; every test checks the exact field values and the
resume bytes, including fields that must stay empty (optional ones nobody answered, a
honeypot, a second file input).
"""

from __future__ import annotations

from typing import Any

import pytest

from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult
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
    for step in (
        "navigating",
        "filling_form",
        "uploading_resume",
        "submitting",
        "submitted",
        "confirmed",
    ):
        assert step in steps
    assert steps.index("submitted") < steps.index("confirmed")
    assert any(
        a["name"] == "final.png" and a["size_bytes"] > 1000 for a in await harness.artifacts()
    )


async def test_multi_step_wizard_with_validation(sample_site, run_job, resume_server) -> None:
    """Four steps, client-side validation that rejects the phone format, then a review page."""
    site, server = sample_site
    result, harness = await run_job(
        ApplyHandler(), f"{server.url}/apply/wizard", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    [received] = site.received("wizard")
    assert received.fields == {
        "full_name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        # The site rejected "+1 415 555 0132" with "Enter the phone number as (555) 555-5555."
        "phone": "(415) 555-0132",
        "location": "San Francisco, CA",
        "employer": "Analytical Engines Ltd",
        "job_title": "Senior Software Engineer",
        "school": "University of London",
        "degree": "ba",  # "Bachelor of Science" -> "Bachelor's degree"
        "field_of_study": "Mathematics",
        "graduation_year": "2016",
        "tools": ["python", "postgresql"],  # skills that are on the list, nothing else
        "relocate": "yes",
        "start_date": "2025-09-01",
        "salary_expectations": "150000",
        "anything_else": "",
    }
    assert received.files["resume"].data == RESUME
    assert result.result_data["confirmation_id"] == received.confirmation_id
    steps = await harness.steps()
    assert "fixing_validation" in steps
    assert steps.count("submitted") == 1


async def test_custom_widgets(sample_site, run_job, resume_server) -> None:
    """Shadow DOM fields, a same-origin iframe, an ARIA combobox fed by the server, a
    dependent select, a switch, a typed date picker, a dropzone upload, and a required
    self-identification question answered with "decline"."""
    site, server = sample_site
    result, _ = await run_job(
        ApplyHandler(), f"{server.url}/apply/widgets", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    [received] = site.received("widgets")
    assert received.fields == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "linkedin": "https://www.linkedin.com/in/ada-lovelace",
        "portfolio": "https://ada-lovelace.dev",
        "email": "ada.lovelace@example.com",
        "phone": "+1 415 555 0132",
        "location": "San Francisco, CA",
        "location_id": "c0",
        "country": "US",
        "state": "CA",
        "relocate": "true",
        "start_date": "09/01/2025",
        "gender": "decline",  # optional, but self-identification is declined, not skipped
        "veteran_status": "decline",
    }
    assert received.files["resume"].data == RESUME
    assert result.result_data["confirmation_id"] == received.confirmation_id
