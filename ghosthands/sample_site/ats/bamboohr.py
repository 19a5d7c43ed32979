"""BambooHR (held out): the careers site's job page (``{company}.bamboohr.com/careers/{id}``).

Reproduced: a client-rendered page; the job description first, the form only after
"Apply for This Job"; ``fab-*`` components: labels with a separate required marker, every
select a custom dropdown (a toggle button and a ``role=listbox`` menu writing a hidden
input; Country preset to United States); the resume uploaded as soon as it is picked and
sent later as its file id; "Date Available" as text in ``mm/dd/yyyy``; the posting's
questions (Yes/No radios, a select, a long answer); a required privacy acknowledgement;
the optional EEO selects. Submit validates on the client ("Please fill out all required
fields", nothing sent), posts JSON with fetch and replaces the form with
"Application Submitted!".

Held out: not in ``REPLICAS``; the engine was never written against it.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import PROJECT_ANSWER
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page

COMPANY = "Tailspin Toys"
TITLE = "Senior Backend Engineer"
JOB = 42
JOB_PATH = f"/bamboohr/careers/{JOB}"
SUBMIT = f"{JOB_PATH}/apply"
UPLOAD = "/bamboohr/careers/upload"

AUTH = "customQuestions[101]"
RELOCATE = "customQuestions[102]"
YEARS = "customQuestions[103]"
PROUD = "customQuestions[104]"

PROUD_LABEL = "Tell us about the proudest project of your career."

STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"),
    ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip
COUNTRIES = [
    ("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"),
    ("DE", "Germany"), ("IN", "India"), ("MX", "Mexico"),
]  # fmt: skip
SOURCES = ["Company Website", "Indeed", "LinkedIn", "Glassdoor", "Employee Referral", "Other"]
YEARS_OPTIONS = ["Less than 2 years", "2-5 years", "6-10 years", "More than 10 years"]
DECLINE = "Decline to Answer"
GENDERS = ["Female", "Male", "Non-binary", DECLINE]
ETHNICITIES = [
    "American Indian or Alaska Native", "Asian", "Black or African American",
    "Hispanic or Latino", "Native Hawaiian or Other Pacific Islander", "White",
    "Two or More Races", DECLINE,
]  # fmt: skip
VETERAN = ["Protected Veteran", "Not a Protected Veteran", DECLINE]
DISABILITY = ["Yes, I have a disability", "No, I don't have a disability", DECLINE]

BAMBOOHR = Replica(
    name="bamboohr",
    ats="BambooHR",
    company=COMPANY,
    job_title=TITLE,
    start_path=JOB_PATH,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "+1 415 555 0132",
        "streetAddress": "",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94107",
        "country": "US",
        "dateAvailable": "09/01/2025",
        "desiredPay": "150000",
        "websiteUrl": "https://ada-lovelace.dev",
        "linkedinUrl": "https://www.linkedin.com/in/ada-lovelace",
        "source": "LinkedIn",
        AUTH: "Yes",
        RELOCATE: "Yes",
        YEARS: "6-10 years",
        PROUD: PROJECT_ANSWER,
        "gender": DECLINE,
        "ethnicity": DECLINE,
        "veteranStatus": DECLINE,
        "disability": DECLINE,
        "privacyAcknowledged": "true",
    },
    required=frozenset(
        {
            "firstName",
            "lastName",
            "email",
            "phone",
            "city",
            "state",
            "zip",
            "country",
            "dateAvailable",
            AUTH,
            RELOCATE,
            YEARS,
            PROUD,
            "privacyAcknowledged",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={PROUD: PROUD_LABEL},
    qa_fields={
        "dateAvailable": "What is your earliest start date?",
        "source": "How did you hear about this job?",
        RELOCATE: "Are you willing to relocate?",
    },
    derived={
        "state": "location.state CA -> California (custom dropdown)",
        "country": "preset United States (custom dropdown)",
        "dateAvailable": "start date 2025-09-01 written as mm/dd/yyyy",
        "desiredPay": "salary_expectation",
        "websiteUrl": "portfolio_url",
        AUTH: "US citizen -> Yes",
        YEARS: "years_of_experience 7 -> the bracket holding it",
        "gender": "EEO: decline",
        "ethnicity": "EEO: decline",
        "veteranStatus": "EEO: decline",
        "disability": "EEO: decline",
        "privacyAcknowledged": "required consent checkbox",
    },
    notes="form behind 'Apply for This Job'; custom fab dropdowns for every select; "
    "resume uploaded on pick, sent as file id; mm/dd/yyyy date text; client validation; "
    "JSON by fetch; in-page confirmation",
)

HELD_OUT = (BAMBOOHR,)


def _options(items: list[tuple[str, str]] | list[str]) -> str:
    out = []
    for item in items:
        value, label = item if isinstance(item, tuple) else (item, item)
        out.append(
            f'<li role="option" class="fab-MenuOption" aria-selected="false" '
            f'data-value="{html.escape(value)}">{html.escape(label)}</li>'
        )
    return "".join(out)


def routes(site: AtsSite) -> list[BaseRoute]:
    async def job(request: Request) -> Response:
        return html_page(
            "bamboohr_job.html",
            raw={
                "states": _options(STATES),
                "countries": _options(COUNTRIES),
                "sources": _options(SOURCES),
                "years": _options(YEARS_OPTIONS),
                "genders": _options(GENDERS),
                "ethnicities": _options(ETHNICITIES),
                "veteran": _options(VETERAN),
                "disability": _options(DISABILITY),
            },
            company=COMPANY,
            title=TITLE,
            submit=SUBMIT,
            upload=UPLOAD,
            proud=PROUD_LABEL,
        )

    async def upload(request: Request) -> Response:
        data = await request.form()
        item = data.get("file")
        if item is None or isinstance(item, str):
            await data.close()
            return JSONResponse({"error": "no file"}, status_code=400)
        token, stored = await site.store_upload(item)
        await data.close()
        return JSONResponse({"fileId": token, "name": stored.filename})

    async def apply(request: Request) -> Response:
        await site.record("bamboohr", request, file_refs={"resumeFileId": "resume"})
        return JSONResponse({"success": True})

    return [
        Route(JOB_PATH, job),
        Route(UPLOAD, upload, methods=["POST"]),
        Route(SUBMIT, apply, methods=["POST"]),
    ]
