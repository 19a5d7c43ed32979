"""Lever: the single-page ``/apply`` form (``jobs.lever.co/{company}/{posting}/apply``).

Reproduced: the resume first, read as soon as it is attached (the parse replaces the
contact fields, with a wrong name, company and location); "Full name" as one field;
"Current location" as a role-less typeahead whose suggestions come from the server after
a pause in typing, where only a picked suggestion (hidden ``selectedLocation``) counts;
``urls[...]`` links; the posting's custom questions as a card, ``cards[<id>][fieldN]``
with a hidden ``baseTemplate``, the question text in a div beside the inputs (no label,
no legend); the voluntary EEO selects ``eeo[...]``. Native ``required`` attributes keep
the browser from sending an incomplete form; a normal POST, then ``/thanks``.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import PLACES, RESUME_NAME, AtsSite, html_page, search

COMPANY = "Fabrikam"
SLUG = "fabrikam"
POSTING = "8f2b1c4e-1d2a-4c43-9a57-0b3c5d6e7f80"
TITLE = "Senior Software Engineer, Platform"
CARD = "c7e2a3f0-5b1d-4e8a-9f6c-2d4b8a1e7c35"
APPLY_PATH = f"/lever/{SLUG}/{POSTING}/apply"
PLACE = "San Francisco, California, United States"

BASE_TEMPLATE = json.dumps(
    {
        "id": CARD,
        "text": f"{COMPANY} application questions",
        "fields": [
            {
                "type": "multiple-choice",
                "text": "Are you legally authorized to work in the United States?",
                "required": True,
            },
            {
                "type": "multiple-choice",
                "text": "Will you now, or in the future, require sponsorship?",
                "required": True,
            },
            {"type": "text", "text": "When are you available to start?", "required": True},
            {
                "type": "textarea",
                "text": f"Why do you want to work at {COMPANY}?",
                "required": True,
            },
            {
                "type": "multiple-select",
                "text": "Which of these have you used in production?",
                "required": False,
            },
        ],
    },
    separators=(",", ":"),
)


def place_json(name: str) -> str:
    """What the location typeahead stores in ``selectedLocation`` for a place."""
    return json.dumps({"name": name, "id": f"loc-{PLACES.index(name):04d}"}, separators=(",", ":"))


def field(n: int) -> str:
    return f"cards[{CARD}][field{n}]"


#: The wrong values the resume parse writes into the form.
PARSED = {
    "name": "Ada Lovelace - Senior Software Engineer",
    "email": "ada.lovelace@example.com",
    "org": "University of London",
    "location": "London, England, United Kingdom",
}

LEVER = Replica(
    name="lever",
    ats="Lever",
    company=COMPANY,
    job_title=TITLE,
    start_path=APPLY_PATH,
    submit_method="POST",
    submit_path=APPLY_PATH,
    expected={
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "+1 415 555 0132",
        "location": PLACE,
        "selectedLocation": place_json(PLACE),
        "org": "Analytical Engines Ltd",
        "urls[LinkedIn]": "https://www.linkedin.com/in/ada-lovelace",
        "urls[GitHub]": "",
        "urls[Portfolio]": "https://ada-lovelace.dev",
        "urls[Other]": "",
        f"cards[{CARD}][baseTemplate]": BASE_TEMPLATE,
        field(0): "Yes",
        field(1): "No",
        field(2): "2025-09-01",
        field(3): why_answer(COMPANY),
        field(4): ["Python", "PostgreSQL"],
        "comments": "",
        "eeo[gender]": "Decline to self-identify",
        "eeo[race]": "Decline to self-identify",
        "eeo[veteran]": "Decline to self-identify",
    },
    required=frozenset(
        {"name", "email", "phone", "location", "selectedLocation", *(field(n) for n in range(4))}
    ),
    files={"resume": RESUME_NAME},
    model_fields={field(3): f"Why do you want to work at {COMPANY}?"},
    qa_fields={field(2): "What is your earliest start date?"},
    derived={
        "name": "first_name + last_name in one field",
        "org": "work_history[0].company",
        "selectedLocation": "set only by picking a suggestion",
        field(0): "US citizen -> Yes",
        field(1): "US citizen -> No",
        field(4): "skills present among the options",
        "eeo[gender]": "EEO: decline",
        "eeo[race]": "EEO: decline",
        "eeo[veteran]": "EEO: decline",
    },
    prefilled_wrong={k: v for k, v in PARSED.items() if k != "email"},
    notes="resume parse overwrites name/company/location; role-less async location "
    "typeahead; card questions labelled by a div; native required",
)

REPLICAS = (LEVER,)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def apply(request: Request) -> Response:
        if request.method == "POST":
            await site.record("lever", request)
            return RedirectResponse(f"/lever/{SLUG}/{POSTING}/thanks", status_code=303)
        return html_page(
            "lever_apply.html",
            company=COMPANY,
            title=TITLE,
            action=APPLY_PATH,
            card=CARD,
            base_template=BASE_TEMPLATE,
            locations="/lever/searchLocations",
            parse="/lever/parseResume",
        )

    async def thanks(request: Request) -> Response:
        return html_page("lever_thanks.html", company=COMPANY, title=TITLE)

    async def locations(request: Request) -> Response:
        await asyncio.sleep(site.lookup_delay)
        found = search(PLACES, request.query_params.get("text", ""))[:6]
        return JSONResponse([json.loads(place_json(p)) for p in found])

    async def parse(request: Request) -> Response:
        data = await request.form()
        await data.close()
        await asyncio.sleep(0.3)  # reading a resume takes a moment
        return JSONResponse(PARSED)

    return [
        Route(APPLY_PATH, apply, methods=["GET", "POST"]),
        Route(f"/lever/{SLUG}/{POSTING}/thanks", thanks),
        Route("/lever/searchLocations", locations),
        Route("/lever/parseResume", parse, methods=["POST"]),
    ]
