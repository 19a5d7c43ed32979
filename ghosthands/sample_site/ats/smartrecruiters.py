"""SmartRecruiters: the one-click application
(``jobs.smartrecruiters.com/oneclick-ui/company/{company}/publication/{id}``).

Reproduced: the whole application inside web components with open shadow roots, three
deep (``oc-app-root`` › ``oc-oneclick-form`` › ``spl-input`` and friends), each field's
label, native control and error message inside its own shadow root; "Confirm your
email"; City as an ``spl-autocomplete`` searching the server after a pause (only a
picked suggestion counts); ``spl-phone-field`` with its own country code, sent as E.164;
the resume in an ``spl-dropzone``; screening questions as radio groups, text, a textarea
and an ``spl-select`` dropdown (a button opening ``spl-dropdown-item`` options); an
opt-in for future opportunities that must stay unticked; the Submit button itself inside
a shadow root. Submit validates every field (nothing is sent while one is missing),
posts multipart, and the thank-you message replaces the form inside the shadow root.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import PROJECT_ANSWER
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Adatum"
TITLE = "Backend Engineer (Python)"
PUBLICATION = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
START_PATH = f"/smartrecruiters/oneclick-ui/company/{COMPANY}/publication/{PUBLICATION}"
SUBMIT = f"/smartrecruiters/oneclick-ui/api/publications/{PUBLICATION}/applications"

SMARTRECRUITERS = Replica(
    name="smartrecruiters",
    ats="SmartRecruiters",
    company=COMPANY,
    job_title=TITLE,
    start_path=START_PATH,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada.lovelace@example.com",
        "confirmEmail": "ada.lovelace@example.com",
        "location": "San Francisco, California, United States",
        "phoneNumber": "+14155550132",
        "linkedin": "https://www.linkedin.com/in/ada-lovelace",
        "message": "",
        "q_7001": "Yes",
        "q_7002": "No",
        "q_7003": "2025-09-01",
        "q_7004": PROJECT_ANSWER,
        "q_7005": "LinkedIn",
        "futureOpportunities": "false",
    },
    required=frozenset(
        {
            "firstName",
            "lastName",
            "email",
            "confirmEmail",
            "location",
            "phoneNumber",
            "q_7001",
            "q_7002",
            "q_7003",
            "q_7004",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={"q_7004": "Describe a project you're proud of."},
    qa_fields={
        "q_7003": "What is your earliest start date?",
        "q_7005": "How did you hear about this job?",
    },
    derived={
        "confirmEmail": "the email again",
        "phoneNumber": "sent as E.164 by the component",
        "location": "location San Francisco, CA -> the search's place",
        "q_7001": "US citizen -> Yes",
        "q_7002": "US citizen -> No",
        "futureOpportunities": "an optional opt-in: left unticked",
    },
    notes="every field and the Submit button inside nested open shadow roots; async "
    "city search; custom dropdown; confirmation inside a shadow root",
)

REPLICAS = (SMARTRECRUITERS,)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def apply(request: Request) -> Response:
        return html_page(
            "smartrecruiters_apply.html",
            company=COMPANY,
            title=TITLE,
            submit=SUBMIT,
            places="/ats-api/places",
        )

    async def submit(request: Request) -> Response:
        submission = await site.record("smartrecruiters", request)
        return JSONResponse({"id": submission.confirmation_id, "status": "NEW"}, status_code=201)

    return [
        Route(START_PATH, apply),
        Route(SUBMIT, submit, methods=["POST"]),
    ]
