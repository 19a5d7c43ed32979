"""Ashby: the application tab of a job (``jobs.ashbyhq.com/{org}/{job}/application``).

Reproduced: a client-rendered React form (answers in component state; inputs are
controlled, so a value put into the DOM without an input event does not survive the next
render and is not sent); system fields by ``_systemfield_*`` ids and custom questions by
UUID; one "Name" field; the "Autofill from resume" pane above the form, whose upload
attaches the resume and overwrites name, email, phone and location with what it read
(a wrong name and location); Location as a combobox searching the server after a pause
in typing; Yes/No questions as two toggle buttons beside a hidden checkbox; a single
choice as radios; the voluntary EEO survey as radios. Submit validates every required
answer first ("Your form needs corrections", nothing sent), posts multipart with fetch,
and replaces the form with a thank-you message (the URL does not change).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import PROJECT_ANSWER, why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Litware"
TITLE = "Staff Software Engineer, Data Platform"
ORG = "litware"
JOB = "3c1e2a9b-7d4f-4e21-8b6a-5f0c9d2e1a47"
JOB_PATH = f"/ashby/{ORG}/{JOB}"
SUBMIT = "/ashby/api/non-user-graphql?op=ApiSubmitSingleApplicationFormAction"
PLACE = "San Francisco, California, United States"

PHONE = "5d4c6b1a-0e7f-4a39-8c2d-1b6e9f3a7c41"
LINKEDIN = "8a2f4e61-3c5d-4b7a-9e1f-0d2c6b8a4e93"
AUTH = "c3b9a7d2-6e4f-4a18-b5c3-9d1e7f2a6b84"
SPONSOR = "d7e1f3a9-2b6c-4d85-a0e4-6f9b3c1d7e52"
START = "e4a26c8d-1f3b-4e97-8a5d-2c7f9b4e1a36"
WHY = "f0c5d8e2-7a4b-4c19-9d6e-3b8a1f5c2e47"
PROJECT = "a9d3e7f1-4c2b-4a68-b1e5-8f6d2c9a3b71"
HEARD = "b6e8f2a4-9d1c-4e53-a7b2-5c3e8d6f1a92"

#: What "Autofill from resume" reads (the name and location are wrong).
PARSED = {
    "name": "Ada Lovelace Senior Software Engineer",
    "email": "ada.lovelace@example.com",
    "phone": "+1 415 555 0132",
    "location": "London, England, United Kingdom",
}

ASHBY = Replica(
    name="ashby",
    ats="Ashby",
    company=COMPANY,
    job_title=TITLE,
    start_path=f"{JOB_PATH}/application",
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "_systemfield_name": "Ada Lovelace",
        "_systemfield_email": "ada.lovelace@example.com",
        PHONE: "+1 415 555 0132",
        "_systemfield_location": PLACE,
        LINKEDIN: "https://www.linkedin.com/in/ada-lovelace",
        AUTH: "true",
        SPONSOR: "false",
        START: "2025-09-01",
        WHY: why_answer(COMPANY),
        PROJECT: PROJECT_ANSWER,
        HEARD: "LinkedIn",
        "_systemfield_eeoc_gender": "Decline to self-identify",
        "_systemfield_eeoc_race": "Decline to self-identify",
        "_systemfield_eeoc_veteran_status": "Decline to self-identify",
    },
    required=frozenset(
        {
            "_systemfield_name",
            "_systemfield_email",
            PHONE,
            "_systemfield_location",
            AUTH,
            SPONSOR,
            START,
            WHY,
            PROJECT,
        }
    ),
    files={"_systemfield_resume": RESUME_NAME},
    model_fields={
        WHY: f"Why do you want to work at {COMPANY}?",
        PROJECT: "Describe a project you're proud of.",
    },
    qa_fields={
        START: "What is your earliest start date?",
        HEARD: "How did you hear about this job?",
    },
    derived={
        "_systemfield_name": "first_name + last_name in one field",
        "_systemfield_location": "location San Francisco, CA -> the search's place",
        AUTH: "US citizen -> Yes (toggle button)",
        SPONSOR: "US citizen -> No (toggle button)",
        "_systemfield_eeoc_gender": "EEO: decline",
        "_systemfield_eeoc_race": "EEO: decline",
        "_systemfield_eeoc_veteran_status": "EEO: decline",
    },
    prefilled_wrong={
        "_systemfield_name": PARSED["name"],
        "_systemfield_location": PARSED["location"],
    },
    notes="controlled React inputs; autofill pane overwrites fields; async location "
    "combobox; Yes/No toggle buttons; voluntary EEO radios",
)

REPLICAS = (ASHBY,)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def application(request: Request) -> Response:
        return html_page(
            "ashby_application.html",
            company=COMPANY,
            title=TITLE,
            submit=SUBMIT,
            parse="/ashby/api/resume-autofill",
            places="/ats-api/places",
        )

    async def overview(request: Request) -> Response:
        return RedirectResponse(f"{JOB_PATH}/application", status_code=302)

    async def autofill(request: Request) -> Response:
        data = await request.form()
        await data.close()
        await asyncio.sleep(0.4)  # reading the resume
        return JSONResponse(PARSED)

    async def submit(request: Request) -> Response:
        if request.query_params.get("op") != "ApiSubmitSingleApplicationFormAction":
            return JSONResponse({"errors": [{"message": "unknown operation"}]}, status_code=400)
        await site.record("ashby", request)
        return JSONResponse({"data": {"submitSingleApplicationForm": {"success": True}}})

    return [
        Route(f"{JOB_PATH}/application", application),
        Route(JOB_PATH, overview),
        Route("/ashby/api/resume-autofill", autofill, methods=["POST"]),
        Route("/ashby/api/non-user-graphql", submit, methods=["POST"]),
    ]
