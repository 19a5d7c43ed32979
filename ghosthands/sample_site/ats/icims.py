"""iCIMS: the candidate portal embedded in an employer's careers site.

The employer's page (main origin) holds ``<iframe id="icims_content_iframe">`` pointing
at the portal (another origin: ``AtsSite.frame_origin``) with ``?in_iframe=1``; the frame
reports its height to the host page. Inside, server-rendered pages: the job with "Apply
for this job online"; the email gate (email and a required privacy consent, then Next);
one candidate form with ``-1_PersonProfileFields.*`` names (phone type and number,
address with state and country selects), the resume, custom questions ``rcfNNNN`` as
selects (Yes/No, previous employment, "How did you learn about this position?" with
option ids), a start date wanted as MM/DD/YYYY, a model-only textarea, and the voluntary
EEO selects. Client-side validation keeps the form from being sent while an answer is
missing; the confirmation shows inside the frame.
"""

from __future__ import annotations

import hashlib
import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import why_answer
from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page, page

COMPANY = "Proseware"
TITLE = "Senior Software Engineer"
JOB = "/icims/jobs/10234/senior-software-engineer"
HOST_PATH = "/proseware/careers/jobs/10234"
EMAIL = "ada.lovelace@example.com"

P = "-1_PersonProfileFields."
STATES = {
    "": "-- Make a Selection --",
    "CA": "California",
    "NY": "New York",
    "TX": "Texas",
    "WA": "Washington",
}
COUNTRIES = {
    "": "-- Make a Selection --",
    "CA": "Canada",
    "GB": "United Kingdom",
    "US": "United States",
}
YES_NO = {"": "-- Make a Selection --", "Yes": "Yes", "No": "No"}
SOURCES = {
    "": "-- Make a Selection --",
    "12001": "Company Website",
    "12002": "Job Board - Indeed",
    "12003": "Job Board - LinkedIn",
    "12004": "Employee Referral",
    "12005": "Social Media",
    "12006": "Other",
}
GENDERS = {
    "": "-- Make a Selection --",
    "M": "Male",
    "F": "Female",
    "D": "I do not wish to self-identify",
}
RACES = {
    "": "-- Make a Selection --",
    "1": "American Indian or Alaska Native",
    "2": "Asian",
    "3": "Black or African American",
    "4": "Hispanic or Latino",
    "5": "Native Hawaiian or Other Pacific Islander",
    "6": "White",
    "7": "Two or More Races",
    "8": "I do not wish to self-identify",
}
VETERANS = {
    "": "-- Make a Selection --",
    "N": "I am not a protected veteran",
    "P": "I identify as one or more of the classifications of protected veterans",
    "D": "I do not wish to self-identify",
}
PHONE_TYPES = {"": "-- Make a Selection --", "Mobile": "Mobile", "Home": "Home", "Work": "Work"}


def candidate_token(email: str) -> str:
    """The portal's handle on a candidate (the same for the same email, every run)."""
    return "c" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


SUBMIT = f"{JOB}/candidate?in_iframe=1&token={candidate_token(EMAIL)}"

ICIMS = Replica(
    name="icims",
    ats="iCIMS (portal in a cross-origin iframe)",
    company=COMPANY,
    job_title=TITLE,
    start_path=HOST_PATH,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        f"{P}FirstName": "Ada",
        f"{P}LastName": "Lovelace",
        f"{P}Email": EMAIL,
        f"{P}PhoneType": "Mobile",
        f"{P}PhoneNumber": "+1 415 555 0132",
        f"{P}Addresses_City": "San Francisco",
        f"{P}Addresses_State": "CA",
        f"{P}Addresses_Zip": "94107",
        f"{P}Addresses_Country": "US",
        f"{P}LinkedInURL": "https://www.linkedin.com/in/ada-lovelace",
        "rcf3048": "Yes",
        "rcf3049": "No",
        "rcf3050": "No",
        "rcf3051": "09/01/2025",
        "rcf3052": why_answer(COMPANY),
        "rcf3053": "12003",
        f"{P}EEOGender": "D",
        f"{P}EEORace": "8",
        f"{P}EEOVeteran": "D",
    },
    required=frozenset(
        {
            f"{P}FirstName",
            f"{P}LastName",
            f"{P}Email",
            f"{P}PhoneType",
            f"{P}PhoneNumber",
            f"{P}Addresses_City",
            f"{P}Addresses_State",
            f"{P}Addresses_Zip",
            f"{P}Addresses_Country",
            "rcf3048",
            "rcf3049",
            "rcf3050",
            "rcf3051",
            "rcf3052",
            "rcf3053",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={"rcf3052": f"Why do you want to work at {COMPANY}?"},
    qa_fields={
        "rcf3051": "What is your earliest start date?",
        "rcf3053": "How did you hear about this job?",
    },
    derived={
        f"{P}PhoneType": "a personal phone number -> Mobile",
        f"{P}Addresses_State": "location.state CA",
        f"{P}Addresses_Country": "location.country United States -> US",
        "rcf3048": "US citizen -> Yes",
        "rcf3049": "US citizen -> No",
        "rcf3050": f"work_history has no {COMPANY} -> No",
        "rcf3051": "qa 2025-09-01 written as MM/DD/YYYY",
        "rcf3053": "qa 'LinkedIn' -> 'Job Board - LinkedIn'",
        f"{P}EEOGender": "EEO: decline",
        f"{P}EEORace": "EEO: decline",
        f"{P}EEOVeteran": "EEO: decline",
    },
    cross_origin_frame=True,
    notes="portal in a cross-origin iframe: apply button, email gate with consent, one "
    "long form; confirmation inside the frame",
)

REPLICAS = (ICIMS,)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _row(name: str, label: str, control: str, required: bool, for_id: str | None = None) -> str:
    star = '<span class="iCIMS_Required">*</span>' if required else ""
    target = for_id or name
    return (
        f'<div class="iCIMS_TableRow"><label for="{_esc(target)}">{_esc(label)}{star}</label>'
        f'<div class="iCIMS_Field">{control}</div></div>'
    )


def _text(name: str, label: str, required: bool = False, value: str = "", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_esc(v)}"' for k, v in attrs.items())
    req = ' data-required aria-required="true"' if required else ""
    ident = _esc(name)
    control = f'<input type="text" id="{ident}" name="{ident}" value="{_esc(value)}"{req}{extra}>'
    return _row(name, label, control, required)


def _select(name: str, label: str, options: dict[str, str], required: bool = False) -> str:
    req = ' data-required aria-required="true"' if required else ""
    opts = "".join(f'<option value="{_esc(v)}">{_esc(t)}</option>' for v, t in options.items())
    control = f'<select id="{_esc(name)}" name="{_esc(name)}"{req}>{opts}</select>'
    return _row(name, label, control, required)


def _frame(body: str) -> HTMLResponse:
    return HTMLResponse(page("icims_frame.html", raw={"body": body}, company=COMPANY, title=TITLE))


def routes(site: AtsSite) -> list[BaseRoute]:
    emails: dict[str, str] = {}

    async def host(request: Request) -> Response:
        src = site.frame_url(f"{JOB}/job?in_iframe=1&mobile=false&width=900")
        return html_page("icims_host.html", company=COMPANY, frame_src=src)

    async def job(request: Request) -> Response:
        return _frame(
            f'<h1 class="iCIMS_Header">{_esc(TITLE)}</h1>'
            '<div class="iCIMS_JobHeaderField">'
            "Job ID 2024-10234 · San Francisco, CA · Engineering</div>"
            '<div class="iCIMS_InfoMsg">'
            f"Returning candidate? Log back in to the {_esc(COMPANY)} portal.</div>"
            f"<p>{_esc(COMPANY)} builds scheduling software for hospitals. As a {_esc(TITLE)} you "
            "will design and run Python services on PostgreSQL.</p>"
            '<a class="iCIMS_ApplyOnlineButton iCIMS_PrimaryButton" '
            f'href="{JOB}/login?in_iframe=1">Apply for this job online</a>'
        )

    async def login(request: Request) -> Response:
        if request.method == "POST":
            data = await request.form()
            email = str(data.get("loginName", "")).strip()
            if "@" not in email or not data.get("privacyConsent"):
                return RedirectResponse(f"{JOB}/login?in_iframe=1", status_code=303)
            token = candidate_token(email)
            with site._lock:
                emails[token] = email
            return RedirectResponse(f"{JOB}/candidate?in_iframe=1&token={token}", status_code=303)
        consent = (
            '<input type="checkbox" id="privacyConsent" name="privacyConsent" value="1" '
            'data-required aria-required="true">'
        )
        return _frame(
            f'<h1 class="iCIMS_Header">Apply for {_esc(TITLE)}</h1>'
            '<div class="iCIMS_InfoMsg">Please enter your email address to begin.</div>'
            f'<form id="enterEmailForm" method="post" action="{JOB}/login?in_iframe=1" '
            "novalidate data-validate>"
            + _row(
                "email",
                "Email Address",
                '<input type="email" id="email" name="loginName" autocomplete="email" '
                'data-required aria-required="true">',
                True,
            )
            + _row(
                "privacyConsent",
                "I have read and accept the Privacy Policy",
                consent,
                True,
            )
            + '<p><input type="submit" class="iCIMS_PrimaryButton" id="enterEmailSubmitButton" '
            'value="Next"></p></form>'
        )

    async def candidate(request: Request) -> Response:
        token = request.query_params.get("token", "")
        with site._lock:
            email = emails.get(token)
        if email is None:
            return RedirectResponse(f"{JOB}/login?in_iframe=1", status_code=303)
        if request.method == "POST":
            await site.record("icims", request)
            return RedirectResponse(f"{JOB}/confirmation?in_iframe=1", status_code=303)
        action = f"{JOB}/candidate?in_iframe=1&token={token}"
        resume = (
            '<input type="file" id="resume" name="resume" accept=".pdf,.doc,.docx,.rtf,.txt" '
            'data-required aria-required="true">'
        )
        why = (
            '<textarea id="rcf3052" name="rcf3052" maxlength="2000" data-required '
            'aria-required="true"></textarea>'
        )
        body = (
            f'<h1 class="iCIMS_Header">{_esc(TITLE)}: Candidate Profile</h1>'
            f'<form id="candidateProfileForm" method="post" action="{_esc(action)}" '
            'enctype="multipart/form-data" novalidate data-validate>'
            '<h2 class="iCIMS_SubHeader">Contact Information</h2>'
            + _text(f"{P}FirstName", "First Name", True)
            + _text(f"{P}LastName", "Last Name", True)
            + _text(f"{P}Email", "Email", True, email)
            + _select(f"{P}PhoneType", "Phone Type", PHONE_TYPES, True)
            + _text(f"{P}PhoneNumber", "Phone Number", True)
            + _text(f"{P}Addresses_City", "City", True)
            + _select(f"{P}Addresses_State", "State/Province", STATES, True)
            + _text(f"{P}Addresses_Zip", "Zip/Postal Code", True)
            + _select(f"{P}Addresses_Country", "Country", COUNTRIES, True)
            + _text(f"{P}LinkedInURL", "LinkedIn Profile URL")
            + '<h2 class="iCIMS_SubHeader">Resume</h2>'
            + _row("resume", "Upload your resume", resume, True)
            + '<h2 class="iCIMS_SubHeader">Job-Specific Questions</h2>'
            + _select(
                "rcf3048", "Are you legally authorized to work in the United States?", YES_NO, True
            )
            + _select(
                "rcf3049",
                "Will you now or in the future require sponsorship for employment visa status?",
                YES_NO,
                True,
            )
            + _select("rcf3050", f"Have you previously been employed by {COMPANY}?", YES_NO, True)
            + _text(
                "rcf3051",
                "Date available to start",
                True,
                placeholder="MM/DD/YYYY",
                data_format="date",
            )
            + _row("rcf3052", f"Why do you want to work at {COMPANY}?", why, True)
            + _select("rcf3053", "How did you learn about this position?", SOURCES, True)
            + '<h2 class="iCIMS_SubHeader">Voluntary Self-Identification</h2>'
            '<p class="iCIMS_Disclaimer">Providing this information is voluntary. Refusal to '
            "provide it will not subject you to any adverse treatment.</p>"
            + _select(f"{P}EEOGender", "Gender", GENDERS)
            + _select(f"{P}EEORace", "Race/Ethnicity", RACES)
            + _select(f"{P}EEOVeteran", "Veteran Status", VETERANS)
            + '<p><input type="submit" class="iCIMS_PrimaryButton" id="submitApplication" '
            'value="Submit Application"></p></form>'
        )
        return _frame(body)

    async def confirmation(request: Request) -> Response:
        return _frame(
            '<h1 class="iCIMS_Header">Thank you for applying!</h1>'
            f'<div class="iCIMS_InfoMsg">Your application for {_esc(TITLE)} has been '
            f"submitted. The {_esc(COMPANY)} recruiting team will review it shortly.</div>"
        )

    return [
        Route(HOST_PATH, host),
        Route(f"{JOB}/job", job),
        Route(f"{JOB}/login", login, methods=["GET", "POST"]),
        Route(f"{JOB}/candidate", candidate, methods=["GET", "POST"]),
        Route(f"{JOB}/confirmation", confirmation),
    ]
