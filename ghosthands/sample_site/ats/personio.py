"""Personio (held out): a company's job page with its application form
(``{company}.jobs.personio.de/job/{id}?language=en``).

Reproduced: the job description and, below it, a two-step form ("Your details", then
"Questions", with Continue/Back; the first step is checked before the second shows);
labels carry their asterisk in the label text; a cookie banner over the bottom of the
page; the phone as an intl-tel-input (a flag button opening a searchable country list,
preset to Germany +49, the number sent in E.164, a typed ``+`` prefix switching the
country); documents as drop zones per category (CV required, cover letter and other
documents optional) kept by the page and sent with the form as
``categorised_documents[N][file|category]``; dates typed as ``DD.MM.YYYY`` and sent as
ISO dates (an optional date of birth the applicant has no answer for); "Where did you
find this job ad?" as a searchable combobox whose values are channel ids; custom
attributes ``custom_attribute_<id>`` (a number, a custom select, Yes/No radios where the
work-permit question must be answered from the applicant's citizenship, a long answer);
the voluntary gender and severe-disability questions with their decline answers; a
visually hidden honeypot field that must stay empty; a required privacy consent and an
optional talent-pool consent. "Send application" validates on the client (a message
under each field and a banner by the button, nothing sent), posts multipart with fetch,
and replaces the form with a thank-you message.

Held out: not in ``REPLICAS``; the engine was never written against it.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Relecloud"
SLUG = "relecloud"
JOB = "1432876"
COMPANY_ID = "84211"
TITLE = "Senior Backend Engineer (m/f/d)"
JOB_PATH = f"/personio/{SLUG}/job/{JOB}"
START = f"{JOB_PATH}?language=en"
SUBMIT = f"/personio/{SLUG}/job-application/{JOB}"


def attribute(aid: int) -> str:
    return f"custom_attribute_{aid}"


YEARS = attribute(3318201)
EDUCATION = attribute(3318202)
RELOCATE = attribute(3318203)
PERMIT = attribute(3318204)
WHY = attribute(3318205)
DISABILITY = attribute(3318206)

WHY_LABEL = f"Why do you want to join {COMPANY}?"
CV_FILE = "categorised_documents[0][file]"
CV_CATEGORY = "categorised_documents[0][category]"

#: intl-tel-input: (iso2, country, dial code); preferred countries first, then all.
PREFERRED = [("de", "Germany", "49"), ("at", "Austria", "43"), ("ch", "Switzerland", "41")]
DIAL_CODES = [
    ("at", "Austria", "43"), ("be", "Belgium", "32"), ("ca", "Canada", "1"),
    ("fr", "France", "33"), ("de", "Germany", "49"), ("ie", "Ireland", "353"),
    ("it", "Italy", "39"), ("nl", "Netherlands", "31"), ("pl", "Poland", "48"),
    ("es", "Spain", "34"), ("ch", "Switzerland", "41"), ("gb", "United Kingdom", "44"),
    ("us", "United States", "1"),
]  # fmt: skip
CHANNELS = [
    ("201", "Company career page"), ("202", "LinkedIn"), ("203", "StepStone"),
    ("204", "XING"), ("205", "Indeed"), ("206", "Glassdoor"),
    ("207", "Employee referral"), ("208", "Job fair or event"), ("209", "Other"),
]  # fmt: skip
EDUCATIONS = [
    "High school diploma (Abitur)", "Vocational training (Ausbildung)", "Bachelor's degree",
    "Master's degree", "Diplom / Magister", "Doctorate (PhD)",
]  # fmt: skip
GENDERS = [
    ("male", "Male"), ("female", "Female"), ("diverse", "Diverse"),
    ("undisclosed", "I prefer not to say"),
]  # fmt: skip
RATHER_NOT = "I'd rather not say"
DISABILITIES = ["Yes", "No", RATHER_NOT]

PERSONIO = Replica(
    name="personio",
    ats="Personio",
    company=COMPANY,
    job_title=TITLE,
    start_path=START,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "company_id": COMPANY_ID,
        "job_position_id": JOB,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "+14155550132",
        "birthday": "",
        "website": "",
        CV_CATEGORY: "cv",
        "available_from": "2025-09-01",
        "salary_expectations": "150000",
        "recruiting_channel_id": "202",
        YEARS: "7",
        EDUCATION: "Bachelor's degree",
        RELOCATE: "Yes",
        PERMIT: "Yes",
        WHY: why_answer(COMPANY),
        "message": "",
        "gender": "undisclosed",
        DISABILITY: RATHER_NOT,
        "privacy_policy_acceptance": "true",
        "talent_pool_consent": "false",
    },
    required=frozenset(
        {
            "first_name",
            "last_name",
            "email",
            "phone",
            "available_from",
            "salary_expectations",
            "recruiting_channel_id",
            YEARS,
            EDUCATION,
            RELOCATE,
            PERMIT,
            WHY,
            "privacy_policy_acceptance",
        }
    ),
    files={CV_FILE: RESUME_NAME},
    model_fields={WHY: WHY_LABEL},
    qa_fields={
        "available_from": "What is your earliest start date?",
        "recruiting_channel_id": "How did you hear about this job?",
        RELOCATE: "Are you willing to relocate?",
    },
    derived={
        "phone": "phone in E.164; the country picker is preset to Germany +49",
        "birthday": "optional date of birth: no answer in the profile, left empty",
        "website": "honeypot (visually hidden): left empty",
        CV_CATEGORY: "the resume dropped into the CV zone",
        "available_from": "start date 2025-09-01 typed as 01.09.2025 (DD.MM.YYYY)",
        "salary_expectations": "salary_expectation",
        "recruiting_channel_id": "LinkedIn -> its channel id (searchable combobox)",
        YEARS: "years_of_experience",
        EDUCATION: "education[0].degree Bachelor of Science -> Bachelor's degree",
        PERMIT: "US citizen, job in Berlin -> needs a German work permit: Yes",
        "message": "optional message: left empty",
        "gender": "voluntary: decline",
        DISABILITY: "voluntary: decline",
        "privacy_policy_acceptance": "required privacy consent",
        "talent_pool_consent": "optional talent-pool consent: left unticked",
    },
    notes="two steps; asterisks in label text; cookie banner; intl-tel-input preset to "
    "+49; per-category document drop zones sent with the form; DD.MM.YYYY dates; "
    "searchable channel combobox; work permit for Germany; honeypot; client validation; "
    "multipart by fetch; in-page confirmation",
)

HELD_OUT = (PERSONIO,)


def _countries(items: list[tuple[str, str, str]], prefix: str) -> str:
    return "".join(
        f'<li class="iti__country" role="option" tabindex="-1" aria-selected="false" '
        f'id="iti-0__item-{iso}{prefix}" data-country-code="{iso}" data-dial-code="{dial}">'
        f'<span class="iti__flag iti__{iso}"></span>'
        f'<span class="iti__country-name">{html.escape(name)}</span>'
        f'<span class="iti__dial-code">+{dial}</span></li>'
        for iso, name, dial in items
    )


def _list_options(items: list[tuple[str, str]] | list[str]) -> str:
    out = []
    for item in items:
        value, label = item if isinstance(item, tuple) else (item, item)
        out.append(
            f'<li role="option" class="ps-option" aria-selected="false" '
            f'data-value="{html.escape(value)}">{html.escape(label)}</li>'
        )
    return "".join(out)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def job(request: Request) -> Response:
        genders = "".join(
            f'<option value="{value}">{html.escape(label)}</option>' for value, label in GENDERS
        )
        disability = "".join(
            f'<label class="ps-radio"><input type="radio" name="{DISABILITY}" '
            f'value="{html.escape(v, quote=True)}"><span>{html.escape(v)}</span></label>'
            for v in DISABILITIES
        )
        return html_page(
            "personio_job.html",
            raw={
                "countries": _countries(PREFERRED, "-preferred")
                + '<li class="iti__divider" role="separator" aria-disabled="true"></li>'
                + _countries(DIAL_CODES, ""),
                "channels": _list_options(CHANNELS),
                "educations": _list_options(EDUCATIONS),
                "genders": genders,
                "disability": disability,
            },
            company=COMPANY,
            title=TITLE,
            job=JOB,
            company_id=COMPANY_ID,
            submit=SUBMIT,
            why=WHY_LABEL,
            years_key=YEARS,
            education_key=EDUCATION,
            relocate_key=RELOCATE,
            permit_key=PERMIT,
            why_key=WHY,
            disability_key=DISABILITY,
        )

    async def apply(request: Request) -> Response:
        await site.record("personio", request)
        return JSONResponse({"success": True}, status_code=201)

    return [
        Route(JOB_PATH, job),
        Route(SUBMIT, apply, methods=["POST"]),
    ]
