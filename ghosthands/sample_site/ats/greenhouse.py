"""Greenhouse, two ways.

``greenhouse``: the job-boards page (``job-boards.greenhouse.io/{board}/jobs/{id}``): the
posting with its application form below, rendered client-side. Every choice is a
react-select (an ``input role=combobox`` whose chosen value shows in a sibling and leaves
the input empty); Location (City) and School search a server after a debounce; the
phone has its own country select; the resume goes through a visually hidden file input
behind Attach / Dropbox / Google Drive / Enter manually; the EEO survey is voluntary.
The form validates on submit (nothing is sent while a required answer is missing) and
posts multipart with fetch, then shows /confirmation.

``greenhouse_embed``: the legacy embed. The employer's careers page holds
``<div id="grnhse_app">`` and loads the board's script from the board's host, which puts
the application in an iframe of that host (another origin: ``AtsSite.frame_origin``).
Inside, the classic form: ``job_application[...]`` names, custom questions as
``answers_attributes`` with hidden question ids, Yes/No as ``boolean_value`` selects
(1/0), a single-select question posting an option id, the jQuery-UI location
autocomplete that fills hidden latitude/longitude, the resume uploaded ahead of the form
(``s3_upload_for_resume``) so the form posts its URL, and the EEOC block where race is
asked only after "Hispanic/Latino: No". The confirmation appears inside the frame.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import PROJECT_ANSWER, why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import (
    COORDINATES,
    PLACES,
    RESUME_NAME,
    AtsSite,
    html_page,
    page,
    search,
)

BOARD = "northwind"
BOARD_COMPANY = "Northwind"
BOARD_JOB = "4012345001"
BOARD_TITLE = "Senior Backend Engineer"
BOARD_PATH = f"/greenhouse/job-boards/{BOARD}/jobs/{BOARD_JOB}"
BOARD_SUBMIT = f"{BOARD_PATH}/applications"

EMBED = "contoso"
EMBED_COMPANY = "Contoso"
EMBED_JOB = "4012399002"
EMBED_TITLE = "Platform Engineer"
EMBED_HOST_PATH = f"/contoso/careers/jobs?gh_jid={EMBED_JOB}"
EMBED_SUBMIT = f"/greenhouse/embed/job_app?for={EMBED}&token={EMBED_JOB}"

LINKEDIN = "https://www.linkedin.com/in/ada-lovelace"
WEBSITE = "https://ada-lovelace.dev"
PLACE = "San Francisco, California, United States"

GREENHOUSE = Replica(
    name="greenhouse",
    ats="Greenhouse (job boards)",
    company=BOARD_COMPANY,
    job_title=BOARD_TITLE,
    start_path=BOARD_PATH,
    submit_method="POST",
    submit_path=BOARD_SUBMIT,
    expected={
        "first_name": "Ada",
        "last_name": "Lovelace",
        "preferred_name": "",
        "email": "ada.lovelace@example.com",
        "phone_country": "United States +1",
        "phone": "+1 415 555 0132",
        "location": PLACE,
        "question_30001001": LINKEDIN,
        "question_30001002": WEBSITE,
        "question_30001003": "Yes",
        "question_30001004": "No",
        "question_30001005": "2025-09-01",
        "question_30001006": why_answer(BOARD_COMPANY),
        "question_30001007": "LinkedIn",
        "education[0][school_name]": "University of London",
        "education[0][degree]": "Bachelor's Degree",
        "education[0][discipline]": "Mathematics",
        "gender": "Decline To Self Identify",
        "hispanic_ethnicity": "Decline To Self Identify",
        "veteran_status": "I don't wish to answer",
        "disability_status": "I do not want to answer",
    },
    required=frozenset(
        {
            "first_name",
            "last_name",
            "email",
            "phone_country",
            "phone",
            "location",
            "question_30001003",
            "question_30001004",
            "question_30001005",
            "question_30001006",
            "education[0][school_name]",
            "education[0][degree]",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={"question_30001006": f"Why do you want to work at {BOARD_COMPANY}?"},
    qa_fields={"question_30001005": "What is your earliest start date?"},
    derived={
        "question_30001003": "work_authorization 'US citizen' -> authorized",
        "question_30001004": "work_authorization 'US citizen' -> no sponsorship",
        "phone_country": "phone +1 / location United States -> 'United States +1'",
        "location": "location San Francisco, CA -> the geocoder's 'San Francisco, California, ...'",
        "education[0][degree]": "Bachelor of Science -> Bachelor's Degree",
        "gender": "EEO: decline (the profile says nothing)",
        "hispanic_ethnicity": "EEO: decline",
        "veteran_status": "EEO: decline",
        "disability_status": "EEO: decline",
    },
    notes="react-select comboboxes (value beside an empty input), async location and "
    "school search, hidden file input, voluntary EEO, client-side required check",
)

GREENHOUSE_EMBED = Replica(
    name="greenhouse_embed",
    ats="Greenhouse (legacy embed, #grnhse_app iframe)",
    company=EMBED_COMPANY,
    job_title=EMBED_TITLE,
    start_path=EMBED_HOST_PATH,
    submit_method="POST",
    submit_path=EMBED_SUBMIT,
    expected={
        "job_application[first_name]": "Ada",
        "job_application[last_name]": "Lovelace",
        "job_application[email]": "ada.lovelace@example.com",
        "job_application[phone]": "+1 415 555 0132",
        "job_application[location]": PLACE,
        "job_application[latitude]": COORDINATES[PLACE][0],
        "job_application[longitude]": COORDINATES[PLACE][1],
        "job_application[resume_url_filename]": RESUME_NAME,
        "job_application[cover_letter_url_filename]": "",
        "job_application[answers_attributes][0][text_value]": LINKEDIN,
        "job_application[answers_attributes][0][question_id]": "30002001",
        "job_application[answers_attributes][0][priority]": "0",
        "job_application[answers_attributes][1][boolean_value]": "1",
        "job_application[answers_attributes][1][question_id]": "30002002",
        "job_application[answers_attributes][1][priority]": "1",
        "job_application[answers_attributes][2][boolean_value]": "0",
        "job_application[answers_attributes][2][question_id]": "30002003",
        "job_application[answers_attributes][2][priority]": "2",
        "job_application[answers_attributes][3][text_value]": PROJECT_ANSWER,
        "job_application[answers_attributes][3][question_id]": "30002004",
        "job_application[answers_attributes][3][priority]": "3",
        "job_application[answers_attributes][4][answer_selected_options_attributes][4]"
        "[question_option_id]": "91000102",
        "job_application[answers_attributes][4][question_id]": "30002005",
        "job_application[answers_attributes][4][priority]": "4",
        "job_application[answers_attributes][5][boolean_value]": "0",
        "job_application[answers_attributes][5][question_id]": "30002006",
        "job_application[answers_attributes][5][priority]": "5",
        "job_application[gender]": "3",
        "job_application[hispanic_ethnicity]": "Decline To Self Identify",
        "job_application[veteran_status]": "3",
        "job_application[disability_status]": "3",
    },
    required=frozenset(
        {
            "job_application[first_name]",
            "job_application[last_name]",
            "job_application[email]",
            "job_application[phone]",
            "job_application[location]",
            "job_application[latitude]",
            "job_application[longitude]",
            "job_application[answers_attributes][1][boolean_value]",
            "job_application[answers_attributes][2][boolean_value]",
            "job_application[answers_attributes][3][text_value]",
            "job_application[answers_attributes][4][answer_selected_options_attributes][4]"
            "[question_option_id]",
            "job_application[answers_attributes][5][boolean_value]",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={
        "job_application[answers_attributes][3][text_value]": "Describe a project you're proud of."
    },
    qa_fields={
        "job_application[answers_attributes][4][answer_selected_options_attributes][4]"
        "[question_option_id]": "How did you hear about this job?"
    },
    derived={
        "job_application[answers_attributes][1][boolean_value]": "US citizen -> Yes (1)",
        "job_application[answers_attributes][2][boolean_value]": "US citizen -> No (0)",
        "job_application[answers_attributes][5][boolean_value]": "work_history has no "
        f"{EMBED_COMPANY} -> No (0)",
        "job_application[latitude]": "set only by picking a suggestion",
        "job_application[gender]": "EEO: decline",
        "job_application[hispanic_ethnicity]": "EEO: decline",
        "job_application[veteran_status]": "EEO: decline",
        "job_application[disability_status]": "EEO: decline",
    },
    cross_origin_frame=True,
    notes="form in a cross-origin iframe; resume uploaded ahead of the form; role-less "
    "location suggestions; confirmation inside the frame",
)

REPLICAS = (GREENHOUSE, GREENHOUSE_EMBED)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def board(request: Request) -> Response:
        return html_page(
            "greenhouse_board.html",
            company=BOARD_COMPANY,
            title=BOARD_TITLE,
            submit_url=BOARD_SUBMIT,
            confirmation_url=f"{BOARD_PATH}/confirmation",
        )

    async def board_submit(request: Request) -> Response:
        await site.record("greenhouse", request)
        return JSONResponse({"status": "success"}, status_code=201)

    async def board_confirmation(request: Request) -> Response:
        return html_page("greenhouse_confirmation.html", company=BOARD_COMPANY, title=BOARD_TITLE)

    async def embed_host(request: Request) -> Response:
        script = site.frame_url(f"/greenhouse/embed/job_board/js?for={EMBED}")
        return html_page(
            "greenhouse_embed_host.html",
            company=EMBED_COMPANY,
            title=EMBED_TITLE,
            embed_script=script,
        )

    async def embed_script(request: Request) -> Response:
        return Response(page("greenhouse_embed.js"), media_type="text/javascript")

    async def embed_job_app(request: Request) -> Response:
        token = request.query_params.get("token", "")
        if request.query_params.get("for") != EMBED or token != EMBED_JOB:
            return Response("not found", 404)
        if request.method == "POST":
            await site.record(
                "greenhouse_embed",
                request,
                file_refs={
                    "job_application[resume_url]": "resume",
                    "job_application[cover_letter_url]": "cover_letter",
                },
            )
            return RedirectResponse(
                f"/greenhouse/embed/job_app/confirmation?for={EMBED}&token={quote(token)}",
                status_code=303,
            )
        return html_page(
            "greenhouse_embed_form.html",
            company=EMBED_COMPANY,
            title=EMBED_TITLE,
            action=EMBED_SUBMIT,
            upload="/greenhouse/embed/upload",
        )

    async def embed_confirmation(request: Request) -> Response:
        return html_page(
            "greenhouse_embed_confirmation.html", company=EMBED_COMPANY, title=EMBED_TITLE
        )

    async def embed_upload(request: Request) -> Response:
        data = await request.form()
        upload = data.get("file")
        if upload is None or isinstance(upload, str):
            return JSONResponse({"error": "no file"}, status_code=400)
        token, stored = await site.store_upload(upload)
        await data.close()
        return JSONResponse(
            {"url": f"{request.base_url}greenhouse/uploads/{token}", "filename": stored.filename}
        )

    async def embed_locations(request: Request) -> Response:
        await asyncio.sleep(site.lookup_delay)
        found = search(PLACES, request.query_params.get("term", ""))[:8]
        return JSONResponse(
            [{"name": p, "lat": _coords(p)[0], "lng": _coords(p)[1]} for p in found]
        )

    async def board_list(request: Request) -> Response:
        return HTMLResponse("<p>Open positions are listed on the careers site.</p>")

    return [
        Route(BOARD_PATH, board),
        Route(BOARD_SUBMIT, board_submit, methods=["POST"]),
        Route(f"{BOARD_PATH}/confirmation", board_confirmation),
        Route("/contoso/careers/jobs", embed_host),
        Route("/greenhouse/embed/job_board/js", embed_script),
        Route("/greenhouse/embed/job_board", board_list),
        Route("/greenhouse/embed/job_app", embed_job_app, methods=["GET", "POST"]),
        Route("/greenhouse/embed/job_app/confirmation", embed_confirmation),
        Route("/greenhouse/embed/upload", embed_upload, methods=["POST"]),
        Route("/greenhouse/embed/locations", embed_locations),
    ]


def _coords(place: str) -> tuple[str, str]:
    return COORDINATES.get(place, ("0", "0"))
