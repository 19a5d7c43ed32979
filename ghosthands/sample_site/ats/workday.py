"""Workday: the candidate wizard of ``{tenant}.wd5.myworkdayjobs.com``.

The posting has an Apply button that opens "Start Your Application" (Autofill with
Resume / Apply Manually / Use My Last Application); either way leads to the Sign In
page (with a Create Account link): a candidate account is required, so a job must pause
for a person here (the replica's account: :data:`USER` / :data:`PASSWORD`). There is no
guest path: a Workday tenant that requires accounts has none.

Signed in, the single-page wizard: My Information, My Experience, Application
Questions, Voluntary Disclosures, Self Identify, Review, each saved with "Save and
Continue" (validation shows an error banner and messages under the fields; nothing is
saved while a required answer is missing). Widgets as Workday renders them, named by
``data-automation-id``: dropdowns are buttons that open a listbox popup appended to the
body; "How Did You Hear About Us?" is a prompt that browses categories (Job Board ›
LinkedIn) or searches the server; Country Phone Code and Field of Study are prompts that
search the server as you type; dates are month/day/year spin buttons; the disability
form's check boxes allow one tick. Uploading the resume on My Experience fills Work
Experience 1 and Education 1 from the resume, with wrong job title, company, start date
and degree that must be corrected. The review page submits one JSON document; the
resume travels ahead as an attachment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ghosthands.sample_site.ats.model import why_answer
from ghosthands.sample_site.ats.replica import TODAY, Replica
from ghosthands.sample_site.ats.site import RESUME_NAME, AtsSite, html_page, search

COMPANY = "Tailspin"
TITLE = "Senior Software Engineer"
REQ = "R-10423"
SITE = "/workday/en-US/Tailspin_External"
POSTING = f"{SITE}/job/San-Francisco-CA/Senior-Software-Engineer_{REQ}"
API = "/workday/wday/cxs/tailspin/Tailspin_External"
SUBMIT = f"{API}/jobApplications/{REQ}/submit"
COOKIE = "wd-candidate-session"

#: The candidate account a person signs in with when the job pauses.
USER = "ada.lovelace@example.com"
PASSWORD = "Tailspin-Candidate-2025!"  # noqa: S105 - the replica's sample account

PHONE_CODES = [
    "Canada (+1)",
    "Germany (+49)",
    "India (+91)",
    "United Kingdom (+44)",
    "United States of America (+1)",
    "United States Minor Outlying Islands (+1)",
]
FIELDS_OF_STUDY = ["Computer Science", "Economics", "Mathematics", "Physics", "Statistics"]
SOURCE_LEAVES = {
    "Glassdoor": "Job Board",
    "Indeed": "Job Board",
    "LinkedIn": "Job Board",
    "ZipRecruiter": "Job Board",
    "Facebook": "Social Media",
    "Instagram": "Social Media",
    "X (Twitter)": "Social Media",
    "Company Website": "",
    "Employee Referral": "",
    "Career Fair": "",
    "Other": "",
}
DESCRIPTION = "Built job pipelines on PostgreSQL; browser automation with Playwright."

#: What Workday reads from the sample resume (wrong where marked).
PARSED = {
    "workExperience": {
        "jobTitle": "Software Engineer",  # wrong: Senior Software Engineer
        "company": "Analytical Engines",  # wrong: Analytical Engines Ltd
        "location": "",
        "currentlyWorkHere": "true",
        "startDate": "01/2019",  # wrong: 03/2019
        "endDate": "",
        "roleDescription": DESCRIPTION,
    },
    "education": {
        "school": "University of London",
        "degree": "Master's Degree",  # wrong: Bachelor's Degree
        "fieldOfStudy": "Mathematics",
    },
}

WORKDAY = Replica(
    name="workday",
    ats="Workday",
    company=COMPANY,
    job_title=TITLE,
    start_path=POSTING,
    submit_method="POST",
    submit_path=SUBMIT,
    expected={
        "email": USER,
        "country": "United States of America",
        "source": "LinkedIn",
        "candidateIsPreviousWorker": "false",
        "legalName.firstName": "Ada",
        "legalName.middleName": "",
        "legalName.lastName": "Lovelace",
        "address.addressLine1": "",
        "address.city": "San Francisco",
        "address.region": "California",
        "address.postalCode": "94107",
        "phone.deviceType": "Mobile",
        "phone.countryPhoneCode": "United States of America (+1)",
        "phone.number": "4155550132",
        "phone.extension": "",
        "workExperience.1.jobTitle": "Senior Software Engineer",
        "workExperience.1.company": "Analytical Engines Ltd",
        "workExperience.1.location": "",
        "workExperience.1.currentlyWorkHere": "true",
        "workExperience.1.startDate": "03/2019",
        "workExperience.1.endDate": "",
        "workExperience.1.roleDescription": DESCRIPTION,
        "education.1.school": "University of London",
        "education.1.degree": "Bachelor's Degree",
        "education.1.fieldOfStudy": "Mathematics",
        "linkedin": "https://www.linkedin.com/in/ada-lovelace",
        "questionnaire.workAuthorization": "Yes",
        "questionnaire.sponsorship": "No",
        "questionnaire.startDate": "09/01/2025",
        "questionnaire.whyCompany": why_answer(COMPANY),
        "questionnaire.relocate": "Yes",
        "disclosures.gender": "I do not wish to answer",
        "disclosures.hispanicOrLatino": "I do not wish to answer",
        "disclosures.ethnicity": "I do not wish to answer. (United States of America)",
        "disclosures.veteranStatus": "I do not wish to self-identify",
        "disclosures.termsAndConditions": "true",
        "selfIdentify.name": "Ada Lovelace",
        "selfIdentify.date": TODAY,
        "selfIdentify.employeeId": "",
        "selfIdentify.disabilityStatus": "I do not want to answer",
    },
    required=frozenset(
        {
            "country",
            "source",
            "candidateIsPreviousWorker",
            "legalName.firstName",
            "legalName.lastName",
            "address.city",
            "address.region",
            "address.postalCode",
            "phone.deviceType",
            "phone.countryPhoneCode",
            "phone.number",
            "workExperience.1.jobTitle",
            "workExperience.1.company",
            "workExperience.1.startDate",
            "education.1.school",
            "education.1.degree",
            "questionnaire.workAuthorization",
            "questionnaire.sponsorship",
            "questionnaire.startDate",
            "questionnaire.whyCompany",
            "questionnaire.relocate",
            "disclosures.gender",
            "disclosures.hispanicOrLatino",
            "disclosures.ethnicity",
            "disclosures.veteranStatus",
            "disclosures.termsAndConditions",
            "selfIdentify.name",
            "selfIdentify.date",
            "selfIdentify.disabilityStatus",
        }
    ),
    files={"resume": RESUME_NAME},
    model_fields={"questionnaire.whyCompany": f"Why do you want to work at {COMPANY}?"},
    qa_fields={
        "source": "How did you hear about this job?",
        "questionnaire.startDate": "What is your earliest start date?",
        "questionnaire.relocate": "Are you willing to relocate?",
    },
    derived={
        "source": "qa 'LinkedIn' found under Job Board › LinkedIn",
        "candidateIsPreviousWorker": f"work_history has no {COMPANY} -> No",
        "address.region": "location.state CA -> California",
        "phone.deviceType": "a personal phone number -> Mobile",
        "phone.countryPhoneCode": "phone +1 / country United States -> 'United States of "
        "America (+1)'",
        "phone.number": "the national number (the +1 is the country code)",
        "workExperience.1.startDate": "work_history[0].start_date 2019-03 -> 03/2019",
        "education.1.degree": "Bachelor of Science -> Bachelor's Degree",
        "questionnaire.workAuthorization": "US citizen -> Yes",
        "questionnaire.sponsorship": "US citizen -> No",
        "questionnaire.startDate": "qa 2025-09-01 -> 09/01/2025 in month/day/year boxes",
        "disclosures.gender": "EEO: decline",
        "disclosures.hispanicOrLatino": "EEO: decline",
        "disclosures.ethnicity": "EEO: decline",
        "disclosures.veteranStatus": "EEO: decline",
        "disclosures.termsAndConditions": "required consent",
        "selfIdentify.name": "full name as signature",
        "selfIdentify.date": "pre-filled with today",
        "selfIdentify.disabilityStatus": "EEO: decline ('I do not want to answer')",
    },
    prefilled_wrong={
        "workExperience.1.jobTitle": "Software Engineer",
        "workExperience.1.company": "Analytical Engines",
        "workExperience.1.startDate": "01/2019",
        "education.1.degree": "Master's Degree",
    },
    login=(USER, PASSWORD),
    notes="sign-in wall; six-page SPA; listbox buttons, prompts, spin-button dates; "
    "resume upload pre-fills wrong experience",
)

REPLICAS = (WORKDAY,)


def routes(site: AtsSite) -> list[BaseRoute]:
    accounts = {USER: PASSWORD}

    def signed_in(request: Request) -> str | None:
        token = request.cookies.get(COOKIE)
        return token if token in site.sessions else None

    async def posting(request: Request) -> Response:
        return html_page(
            "workday_posting.html",
            raw={"dialog_hidden": "hidden"},
            company=COMPANY,
            title=TITLE,
            apply_url=f"{POSTING}/apply",
            autofill_url=f"{POSTING}/apply/autofillWithResume",
            manual_url=f"{POSTING}/apply/applyManually",
        )

    async def start(request: Request) -> Response:
        return html_page(
            "workday_posting.html",
            raw={"dialog_hidden": ""},
            company=COMPANY,
            title=TITLE,
            apply_url=f"{POSTING}/apply",
            autofill_url=f"{POSTING}/apply/autofillWithResume",
            manual_url=f"{POSTING}/apply/applyManually",
        )

    async def wizard(request: Request) -> Response:
        if signed_in(request) is None:
            return RedirectResponse(
                f"{SITE}/login?redirect={quote(request.url.path)}", status_code=303
            )
        return html_page(
            "workday_apply.html",
            company=COMPANY,
            title=TITLE,
            api=API,
            email=USER,
            today=dt.date.today().strftime("%m/%d/%Y"),
            submit_url=SUBMIT,
        )

    def _auth_page(kind: str, redirect: str, error: str = "") -> Response:
        back = quote(redirect)
        if kind == "login":
            return html_page(
                "workday_login.html",
                raw={"extra": ""},
                company=COMPANY,
                heading="Sign In",
                action=f"{SITE}/login?redirect={back}",
                form_id="signInContent",
                button_id="signInSubmitButton",
                password_autocomplete="current-password",  # noqa: S106 - not a secret
                error=error,
                switch_text="Don't have an account yet?",
                switch_url=f"{SITE}/createAccount?redirect={back}",
                switch_id="createAccountLink",
                switch_label="Create Account",
            )
        extra = (
            '<label for="wd-verify">Verify New Password<abbr title="required">*</abbr></label>'
            '<input type="password" id="wd-verify" name="verifyPassword" '
            'data-automation-id="verifyPassword" autocomplete="new-password" required>'
            '<label class="wd-check"><input type="checkbox" name="agree" '
            'data-automation-id="createAccountCheckbox" required> I agree to the candidate '
            "privacy terms.</label>"
        )
        return html_page(
            "workday_login.html",
            raw={"extra": extra},
            company=COMPANY,
            heading="Create Account",
            action=f"{SITE}/createAccount?redirect={back}",
            form_id="createAccountContent",
            button_id="createAccountSubmitButton",
            password_autocomplete="new-password",  # noqa: S106 - not a secret
            error=error,
            switch_text="Already have an account?",
            switch_url=f"{SITE}/login?redirect={back}",
            switch_id="signInLink",
            switch_label="Sign In",
        )

    def _signed_in_to(redirect: str) -> Response:
        token = secrets.token_hex(12)
        with site._lock:
            site.sessions.add(token)
            site.sign_ins += 1
        target = redirect if redirect.startswith("/workday/") else f"{POSTING}/apply/applyManually"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax")
        return response

    async def login(request: Request) -> Response:
        redirect = request.query_params.get("redirect", "")
        if request.method == "GET":
            return _auth_page("login", redirect)
        data = await request.form()
        email, password = str(data.get("email", "")), str(data.get("password", ""))
        if not email or accounts.get(email.strip().lower()) != password:
            return _auth_page("login", redirect, "Wrong email address or password.")
        return _signed_in_to(redirect)

    async def create_account(request: Request) -> Response:
        redirect = request.query_params.get("redirect", "")
        if request.method == "GET":
            return _auth_page("create", redirect)
        data = await request.form()
        email = str(data.get("email", "")).strip().lower()
        password = str(data.get("password", ""))
        if not email or "@" not in email:
            return _auth_page("create", redirect, "Enter a valid email address.")
        if len(password) < 8 or password != data.get("verifyPassword"):
            return _auth_page("create", redirect, "The passwords must match and be 8+ characters.")
        if not data.get("agree"):
            return _auth_page("create", redirect, "You must agree to the terms.")
        if email in accounts:
            return _auth_page("create", redirect, "An account with this email already exists.")
        accounts[email] = password
        return _signed_in_to(redirect)

    async def attachments(request: Request) -> Response:
        if signed_in(request) is None:
            return JSONResponse({"error": "sign in"}, status_code=401)
        data = await request.form()
        upload = data.get("file")
        if upload is None or isinstance(upload, str):
            return JSONResponse({"error": "no file"}, status_code=400)
        token, stored = await site.store_upload(upload)
        await data.close()
        await asyncio.sleep(0.4)  # parsing the resume
        return JSONResponse({"id": token, "fileName": stored.filename, "parsed": PARSED})

    async def prompts(request: Request) -> Response:
        await asyncio.sleep(site.lookup_delay)
        term = request.query_params.get("q", "")
        name = request.path_params["prompt"]
        items = {
            "countryPhoneCode": PHONE_CODES,
            "fieldOfStudy": FIELDS_OF_STUDY,
            "source": list(SOURCE_LEAVES),
        }.get(name)
        if items is None:
            return JSONResponse({"error": "no such prompt"}, status_code=404)
        return JSONResponse(search(items, term) if term.strip() else items)

    async def submit(request: Request) -> Response:
        if signed_in(request) is None:
            return JSONResponse({"error": "sign in"}, status_code=401)
        await site.record("workday", request, file_refs={"resume": "resume"})
        return JSONResponse({"status": "SUBMITTED"})

    return [
        Route(POSTING, posting),
        Route(f"{POSTING}/apply", start),
        Route(f"{POSTING}/apply/applyManually", wizard),
        Route(f"{POSTING}/apply/autofillWithResume", wizard),
        Route(f"{SITE}/login", login, methods=["GET", "POST"]),
        Route(f"{SITE}/createAccount", create_account, methods=["GET", "POST"]),
        Route(f"{API}/attachments", attachments, methods=["POST"]),
        Route(API + "/prompts/{prompt}", prompts),
        Route(SUBMIT, submit, methods=["POST"]),
    ]
