"""Teamtailor (held out): a career site's job, then its application form
(``career.{company}.com/jobs/{id}-{slug}`` -> ``.../applications/new``).

Reproduced: the job page with an "Apply for this job" link to a Rails form
(``candidate[...]`` names, a hidden ``authenticity_token``); "CV / Resume" as a plain file
input; the job's questions as ``candidate[answers_attributes][N][...]`` with a hidden
``question_id`` each: Yes/No as radios whose values are ``true``/``false``, a date, a
single choice as a select whose values are choice ids, a number, a long answer; the
required data-privacy consent as Rails' ``check_box`` (a hidden ``0`` before the box's
``1``); an optional US self-identification block with its own wording. The form is
``novalidate``: a script checks it on submit ("can't be blank" under each field, nothing
sent); a normal multipart POST, then a thank-you page.

Held out: not in ``REPLICAS``; the engine was never written against it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Northwind Traders"
TITLE = "Backend Engineer (Python)"
JOB_PATH = "/teamtailor/jobs/4821937-backend-engineer-python"
NEW_PATH = f"{JOB_PATH}/applications/new"
SUBMIT = f"{JOB_PATH}/applications"
THANKS = f"{JOB_PATH}/applications/thank-you"
#: The hidden authenticity_token (a fixed value, so the submission can be graded).
CSRF = "q8Zr3kTn0xVb5YwE2mLc7HsJ9dPf4AaG1uRiOeNt6Sy"

WHY_LABEL = f"Why do you want to work with {COMPANY}?"
#: The job's questions: (index, question id).
QUESTIONS = [(0, "88101"), (1, "88102"), (2, "88103"), (3, "88104"), (4, "88105"), (5, "88106")]
#: Choice ids of "Where did you first hear about this role?".
CHOICES = [
    ("5511", "Teamtailor career site"),
    ("5512", "A friend or colleague"),
    ("5513", "LinkedIn"),
    ("5514", "A job board"),
    ("5515", "An event or meetup"),
    ("5516", "Somewhere else"),
]
PREFER_NOT = "I prefer not to say"


def answer(n: int, key: str) -> str:
    return f"candidate[answers_attributes][{n}][{key}]"


#: The single choice (Rails' name for the choice ids of an answer).
CHOICE = "candidate[answers_attributes][4][choice_ids][]"

TEAMTAILOR = Replica(
    name="teamtailor",
    ats="Teamtailor",
    company=COMPANY,
    job_title=TITLE,
    start_path=JOB_PATH,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "authenticity_token": CSRF,
        "candidate[first_name]": "Ada",
        "candidate[last_name]": "Lovelace",
        "candidate[email]": "ada.lovelace@example.com",
        "candidate[phone]": "+1 415 555 0132",
        "candidate[linkedin_url]": "https://www.linkedin.com/in/ada-lovelace",
        "candidate[cover_letter]": "",
        **{answer(n, "question_id"): qid for n, qid in QUESTIONS},
        answer(0, "boolean"): "true",
        answer(1, "boolean"): "false",
        answer(2, "date"): "2025-09-01",
        answer(3, "text"): why_answer(COMPANY),
        CHOICE: "5513",
        answer(5, "range"): "150000",
        "candidate[eeo][gender]": PREFER_NOT,
        "candidate[eeo][race]": PREFER_NOT,
        "candidate[eeo][veteran]": PREFER_NOT,
        "candidate[eeo][disability]": PREFER_NOT,
        "candidate[consent_given]": ["0", "1"],
    },
    required=frozenset(
        {
            "candidate[first_name]",
            "candidate[last_name]",
            "candidate[email]",
            answer(0, "boolean"),
            answer(1, "boolean"),
            answer(2, "date"),
            answer(3, "text"),
            answer(5, "range"),
            "candidate[consent_given]",
        }
    ),
    files={"candidate[resume]": RESUME_NAME},
    model_fields={answer(3, "text"): WHY_LABEL},
    qa_fields={
        answer(2, "date"): "What is your earliest start date?",
        CHOICE: "How did you hear about this job?",
    },
    derived={
        answer(0, "boolean"): "US citizen -> Yes (value true)",
        answer(1, "boolean"): "US citizen -> No (value false)",
        CHOICE: "LinkedIn -> its choice id",
        answer(5, "range"): "salary_expectation",
        "candidate[eeo][gender]": "EEO: decline",
        "candidate[eeo][race]": "EEO: decline",
        "candidate[eeo][veteran]": "EEO: decline",
        "candidate[eeo][disability]": "EEO: decline",
        "candidate[consent_given]": "required consent: Rails hidden 0 + checked 1",
    },
    notes="apply link from the job page; Rails form with hidden question ids; true/false "
    "radios; choice-id select; Rails consent check_box; novalidate + script validation; "
    "multipart POST -> thank-you page",
)

HELD_OUT = (TEAMTAILOR,)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def job(request: Request) -> Response:
        return html_page("teamtailor_job.html", company=COMPANY, title=TITLE, apply=NEW_PATH)

    async def new(request: Request) -> Response:
        choices = "".join(f'<option value="{cid}">{label}</option>' for cid, label in CHOICES)
        return html_page(
            "teamtailor_apply.html",
            raw={"choices": choices},
            company=COMPANY,
            title=TITLE,
            action=SUBMIT,
            token=CSRF,
            why=WHY_LABEL,
            job=JOB_PATH,
        )

    async def create(request: Request) -> Response:
        await site.record("teamtailor", request)
        return RedirectResponse(THANKS, status_code=303)

    async def thanks(request: Request) -> Response:
        return html_page("teamtailor_thanks.html", company=COMPANY, title=TITLE)

    return [
        Route(JOB_PATH, job),
        Route(NEW_PATH, new),
        Route(SUBMIT, create, methods=["POST"]),
        Route(THANKS, thanks),
    ]
