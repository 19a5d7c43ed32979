"""Jobvite (held out): a job's apply page (``jobs.jobvite.com/{company}/job/{id}/apply``).

Reproduced: a client-rendered single form (``jv-*`` classes) with the resume first: it is
uploaded and read as soon as it is picked, and the parse fills the contact fields that
are still empty (the city wrongly, from the school); required fields carry a grey
"Required" tag inside the label instead of an asterisk; the phone as a country-code
picker (a button opening a searchable ``role=listbox``, no default, where Canada and the
United States are both +1) beside a national number; Country as a select whose choice
loads the State/Province options from the server; "How did you hear about us?" as two
dependent selects (source type, then source); the job's questions under ids (radios, a
select whose answers are sentences, a start date as Month / Day / Year selects, a
numbers-only salary, a long answer); the voluntary self-identification (radios and a
select, each with its decline answer); an optional SMS opt-in and a required privacy
acknowledgement. "Send Application" validates on the client (a summary at the top and
"This field is required." under each field, nothing sent), posts JSON with fetch, then
goes to a confirmation page.

Held out: not in ``REPLICAS``; the engine was never written against it.
"""

from __future__ import annotations

import asyncio
import html
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import PROJECT_ANSWER
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Woodgrove Bank"
SLUG = "woodgrovebank"
JOB = "oQx7mfwK"
TITLE = "Senior Software Engineer, Payments Platform"
START = f"/jobvite/{SLUG}/job/{JOB}/apply"
CONFIRMATION = f"{START}/confirmation"
SUBMIT = f"/jobvite/api/v2/{SLUG}/job/{JOB}/application"
PARSE = f"/jobvite/api/v2/{SLUG}/resume/parse"
REGIONS = f"/jobvite/api/v2/{SLUG}/regions"


def q(qid: str) -> str:
    """The submission's key for one of the job's questions."""
    return f"customField.{qid}"


AUTH = q("qd1Yjfw5")
SPONSOR = q("qe4Zkfw7")
START_DATE = q("qf7Almw2")
RELOCATE = q("qg2Bnfw9")
SALARY = q("qh5Cpfw3")
PROJECT = q("qi8Drfw6")

PROJECT_LABEL = "Describe a project you're proud of and the part you played in it."
RELOCATE_YES = "Yes, I am willing to relocate"
RELOCATE_OPTIONS = [RELOCATE_YES, "No, I am not willing to relocate", "I already live in Austin"]

#: Country-code picker: (ISO code, country, dial code), in the order listed.
DIAL_CODES = [
    ("AU", "Australia", "61"), ("CA", "Canada", "1"), ("FR", "France", "33"),
    ("DE", "Germany", "49"), ("IN", "India", "91"), ("IE", "Ireland", "353"),
    ("MX", "Mexico", "52"), ("GB", "United Kingdom", "44"), ("US", "United States", "1"),
]  # fmt: skip
COUNTRIES = [
    ("AU", "Australia"), ("CA", "Canada"), ("FR", "France"), ("DE", "Germany"),
    ("IN", "India"), ("IE", "Ireland"), ("MX", "Mexico"), ("SG", "Singapore"),
    ("GB", "United Kingdom"), ("US", "United States"),
]  # fmt: skip
#: State/Province options, loaded when a country is chosen (none: the field hides).
REGIONS_BY_COUNTRY: dict[str, list[tuple[str, str]]] = {
    "US": [
        ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
        ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
        ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
        ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"),
        ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"),
        ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
        ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"),
        ("NV", "Nevada"), ("NH", "New Hampshire"), ("NJ", "New Jersey"),
        ("NM", "New Mexico"), ("NY", "New York"), ("NC", "North Carolina"),
        ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
        ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
        ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
        ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
        ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ],
    "CA": [
        ("AB", "Alberta"), ("BC", "British Columbia"), ("MB", "Manitoba"),
        ("NS", "Nova Scotia"), ("ON", "Ontario"), ("QC", "Quebec"),
    ],
    "AU": [("NSW", "New South Wales"), ("QLD", "Queensland"), ("VIC", "Victoria")],
    "IN": [("KA", "Karnataka"), ("MH", "Maharashtra"), ("TN", "Tamil Nadu")],
    "MX": [("CMX", "Ciudad de México"), ("JAL", "Jalisco"), ("NLE", "Nuevo León")],
}  # fmt: skip
#: "How did you hear about us?": source type -> sources.
SOURCES = {
    "Job Board": ["Indeed", "Glassdoor", "ZipRecruiter", "Dice", "Built In"],
    "Social Media": ["LinkedIn", "Facebook", "X (Twitter)", "Instagram"],
    "Referral": ["Employee Referral", "Friend or Family"],
    "Company Website": ["Woodgrove Bank Careers Page"],
    "Event": ["Career Fair", "Meetup or Conference"],
    "Other": ["Other"],
}
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]  # fmt: skip
#: The years the start-date question offers (fixed, as the posting's form was built).
YEARS = list(range(2024, 2031))

DECLINE = "DECLINED"
GENDERS = [("M", "Male"), ("F", "Female"), (DECLINE, "I do not wish to self-identify")]
RACES = [
    ("HL", "Hispanic or Latino"), ("WH", "White (Not Hispanic or Latino)"),
    ("BA", "Black or African American (Not Hispanic or Latino)"),
    ("NH", "Native Hawaiian or Other Pacific Islander (Not Hispanic or Latino)"),
    ("AS", "Asian (Not Hispanic or Latino)"),
    ("AI", "American Indian or Alaska Native (Not Hispanic or Latino)"),
    ("TM", "Two or More Races (Not Hispanic or Latino)"),
    (DECLINE, "I do not wish to self-identify"),
]  # fmt: skip
VETERANS = [
    ("PV", "I identify as one or more of the classifications of protected veteran"),
    ("NV", "I am not a protected veteran"),
    (DECLINE, "I do not wish to self-identify"),
]
DISABILITIES = [
    ("Y", "Yes, I have a disability (or previously had a disability)"),
    ("N", "No, I do not have a disability and have not had one in the past"),
    (DECLINE, "I do not want to answer"),
]

#: What reading the resume fills in (only into fields still empty): the city is wrong.
PARSED = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada.lovelace@example.com",
    "city": "London",
}

JOBVITE = Replica(
    name="jobvite",
    ats="Jobvite",
    company=COMPANY,
    job_title=TITLE,
    start_path=START,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "jobId": JOB,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada.lovelace@example.com",
        "phoneCountry": "US",
        "phone": "4155550132",
        "address": "",
        "city": "San Francisco",
        "country": "US",
        "state": "CA",
        "postalCode": "94107",
        "linkedInUrl": "https://www.linkedin.com/in/ada-lovelace",
        "websiteUrl": "https://ada-lovelace.dev",
        "sourceType": "Social Media",
        "source": "LinkedIn",
        AUTH: "Yes",
        SPONSOR: "No",
        START_DATE: "2025-09-01",
        RELOCATE: RELOCATE_YES,
        SALARY: "150000",
        PROJECT: PROJECT_ANSWER,
        "eeo.gender": DECLINE,
        "eeo.race": DECLINE,
        "eeo.veteran": DECLINE,
        "eeo.disability": DECLINE,
        "smsOptIn": "false",
        "privacyPolicyAccepted": "true",
    },
    required=frozenset(
        {
            "firstName",
            "lastName",
            "email",
            "phoneCountry",
            "phone",
            "city",
            "country",
            "state",
            "postalCode",
            "sourceType",
            "source",
            AUTH,
            SPONSOR,
            START_DATE,
            RELOCATE,
            SALARY,
            PROJECT,
            "privacyPolicyAccepted",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={PROJECT: PROJECT_LABEL},
    qa_fields={
        "source": "How did you hear about this job?",
        START_DATE: "What is your earliest start date?",
        RELOCATE: "Are you willing to relocate?",
    },
    derived={
        "phoneCountry": "phone +1 in location.country United States -> picker 'United "
        "States (+1)' (not Canada, also +1)",
        "phone": "phone without its country code, digits only",
        "country": "location.country -> US (select)",
        "state": "location.state CA -> California, options loaded after the country",
        "postalCode": "location.zip",
        "websiteUrl": "portfolio_url",
        "sourceType": "LinkedIn -> the source type holding it (Social Media)",
        AUTH: "US citizen, job in Austin, TX -> Yes",
        SPONSOR: "US citizen -> No",
        START_DATE: "start date 2025-09-01 as Month / Day / Year selects",
        RELOCATE: "Yes -> the sentence answer saying yes",
        SALARY: "salary_expectation, numbers only",
        "eeo.gender": "EEO: decline",
        "eeo.race": "EEO: decline",
        "eeo.veteran": "EEO: decline",
        "eeo.disability": "EEO: decline",
        "smsOptIn": "optional SMS opt-in: left unticked",
        "privacyPolicyAccepted": "required privacy acknowledgement",
    },
    prefilled_wrong={"city": PARSED["city"]},
    notes="resume first, parsed into empty fields (wrong city); 'Required' tags; "
    "searchable country-code picker without default; country -> server-loaded states; "
    "source type -> source; month/day/year date selects; client validation; JSON by "
    "fetch -> confirmation page",
)

HELD_OUT = (JOBVITE,)


def _options(items: list[tuple[str, str]] | list[str], placeholder: str = "") -> str:
    out = [f'<option value="">{html.escape(placeholder)}</option>'] if placeholder else []
    for item in items:
        value, label = item if isinstance(item, tuple) else (item, item)
        out.append(f'<option value="{html.escape(value)}">{html.escape(label)}</option>')
    return "".join(out)


def _radios(name: str, items: list[tuple[str, str]]) -> str:
    return "".join(
        f'<label class="jv-radio"><input type="radio" name="{name}" '
        f'value="{html.escape(value)}"><span>{html.escape(label)}</span></label>'
        for value, label in items
    )


def _dial_codes() -> str:
    return "".join(
        f'<li role="option" class="jv-dropdown-option" aria-selected="false" tabindex="-1" '
        f'data-value="{iso}" data-dial="{dial}">{html.escape(name)} (+{dial})</li>'
        for iso, name, dial in DIAL_CODES
    )


def routes(site: AtsSite) -> list[BaseRoute]:
    async def apply(request: Request) -> Response:
        return html_page(
            "jobvite_apply.html",
            raw={
                "dial_codes": _dial_codes(),
                "countries": _options(COUNTRIES, "Select Country"),
                "source_types": _options(list(SOURCES), "Select Source Type"),
                "sponsor": _options(["Yes", "No"], "Please Select"),
                "relocate": _options(RELOCATE_OPTIONS, "Please Select"),
                "months": _options([(f"{n:02d}", m) for n, m in enumerate(MONTHS, 1)], "Month"),
                "days": _options([(f"{d:02d}", str(d)) for d in range(1, 32)], "Day"),
                "years": _options([str(y) for y in YEARS], "Year"),
                "genders": _radios("eeo-gender", GENDERS),
                "races": _radios("eeo-race", RACES),
                "veterans": _options(VETERANS, "Please Select"),
                "disabilities": _radios("eeo-disability", DISABILITIES),
                "sources_json": json.dumps(SOURCES),
            },
            company=COMPANY,
            title=TITLE,
            job=JOB,
            submit=SUBMIT,
            parse=PARSE,
            regions=REGIONS,
            confirmation=CONFIRMATION,
            project=PROJECT_LABEL,
            auth=AUTH,
            sponsor_key=SPONSOR,
            start_key=START_DATE,
            relocate_key=RELOCATE,
            salary_key=SALARY,
            project_key=PROJECT,
        )

    async def parse(request: Request) -> Response:
        data = await request.form()
        item = data.get("file")
        if item is None or isinstance(item, str):
            await data.close()
            return JSONResponse({"error": "no file"}, status_code=400)
        token, stored = await site.store_upload(item)
        await data.close()
        await asyncio.sleep(0.3)  # reading a resume takes a moment
        return JSONResponse({"resumeId": token, "fileName": stored.filename, "parsed": PARSED})

    async def regions(request: Request) -> Response:
        await asyncio.sleep(site.lookup_delay)
        found = REGIONS_BY_COUNTRY.get(request.query_params.get("country", ""), [])
        return JSONResponse([{"code": code, "name": name} for code, name in found])

    async def submit(request: Request) -> Response:
        await site.record("jobvite", request, file_refs={"resumeId": "resume"})
        return JSONResponse({"status": "SUCCESS", "redirect": CONFIRMATION})

    async def confirmation(request: Request) -> Response:
        return html_page("jobvite_confirmation.html", company=COMPANY, title=TITLE)

    return [
        Route(START, apply),
        Route(CONFIRMATION, confirmation),
        Route(PARSE, parse, methods=["POST"]),
        Route(REGIONS, regions),
        Route(SUBMIT, submit, methods=["POST"]),
    ]
