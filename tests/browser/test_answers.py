"""The AnswerBook without a browser: questions worded as real ATS pages word them.

Labels and options below are the wordings of Greenhouse, Lever, Workday, Ashby,
SmartRecruiters and iCIMS application forms. Every case asserts the exact answer, and
the negative cases assert that nothing is answered: a wrong answer on a job application
is worse than a clear "missing answer".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ghosthands.browser.answers import (
    AnswerBook,
    FieldInfo,
    Profile,
    choose_option,
    decode_profile,
    normalise,
    relative_date,
    work_status,
)
from ghosthands.browser.questions_table import (
    INTENTS,
    countries_in,
    dial_code_of,
    intent_of,
)
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS
from ghosthands.sample_site.ats.site import PLACES, search
from ghosthands.sample_site.ats.workday import PHONE_CODES

TODAY = dt.date(2025, 6, 2)

YES_NO = ["Yes", "No"]


def field(
    question: str,
    kind: str = "text",
    options: list[str] | None = None,
    *,
    required: bool = True,
    **extra: Any,
) -> FieldInfo:
    opts = [{"text": t, "value": str(i), "gh_id": f"o{i}"} for i, t in enumerate(options or [])]
    if kind in ("radio", "checkbox_group"):
        return FieldInfo("f1", kind, group_label=question, options=opts, required=required, **extra)
    return FieldInfo("f1", kind, labels=[question], options=opts, required=required, **extra)


def profile(**changes: Any) -> Profile:
    data = {**SAMPLE_PROFILE, **changes}
    return decode_profile({k: v for k, v in data.items() if v is not None})


def book(
    qa: dict[str, str] | None = None, *, employer: str | None = None, **changes: Any
) -> AnswerBook:
    return AnswerBook(profile(**changes), qa, employer=employer, today=TODAY)


def chosen(f: FieldInfo, b: AnswerBook) -> str | None:
    """What the engine would put in ``f``: the option text for choice fields."""
    answer = b.answer_for(f)
    if answer is None:
        return None
    if f.kind in ("text", "textarea", "date"):
        return str(answer.value)
    option = choose_option(answer.value, f.options)
    return None if option is None else str(option["text"])


# -- the intents table --------------------------------------------------------------------

INTENT_CASES = [
    # start date
    ("When can you start?", "start_date"),
    ("What is your earliest start date?", "start_date"),
    ("Available start date", "start_date"),
    ("Availability to start", "start_date"),
    ("Desired Start Date", "start_date"),
    ("How soon would you be able to start?", "start_date"),
    ("Date available", "start_date"),
    # notice period
    ("What is your notice period?", "notice_period"),
    ("How much notice do you need to give your current employer?", "notice_period"),
    ("Notice Period (weeks)", "notice_period"),
    # source
    ("How did you hear about us?", "how_heard"),
    ("How did you hear about this job?", "how_heard"),
    ("How Did You Hear About Us?", "how_heard"),
    ("Where did you find this job posting?", "how_heard"),
    ("Referral source", "how_heard"),
    ("Source", "how_heard"),
    # referral
    ("Referrer name", "referral_name"),
    ("Who referred you?", "referral_name"),
    ("If you were referred by a current employee, please enter their name", "referral_name"),
    ("Were you referred by a current employee?", "was_referred"),
    # relocation, arrangement, travel
    ("Are you willing to relocate?", "relocate"),
    ("Are you open to relocation?", "relocate"),
    ("Would you be willing to relocate to Austin, TX for this role?", "relocate"),
    ("Are you open to working remotely?", "work_remote"),
    ("Are you comfortable working in a hybrid setting (3 days in office)?", "work_hybrid"),
    ("Are you able to work onsite at our NYC office 5 days a week?", "work_onsite"),
    ("Are you able to commute to our San Francisco office?", "work_onsite"),
    ("Do you prefer remote, hybrid or onsite work?", "work_arrangement"),
    ("Are you willing to travel up to 25% of the time?", "travel"),
    # pay
    ("What are your salary expectations?", "salary"),
    ("Desired compensation", "salary"),
    ("What is your expected salary?", "salary"),
    ("Salary requirements (USD)", "salary"),
    ("Expected CTC", "salary"),
    ("What is your current salary?", "current_salary"),
    # employer
    ("Have you ever worked for us before?", "previously_employed"),
    ("Are you a current or former employee?", "previously_employed"),
    ("Have you previously been employed by this company?", "previously_employed"),
    ("Are you a current employee of this company?", "current_employee"),
    ("Have you previously applied to this company?", "previously_applied"),
    # legal / screening
    ("Are you 18 years of age or older?", "minimum_age"),
    ("Are you at least 18 years old?", "minimum_age"),
    ("Are you of legal age to work?", "minimum_age"),
    ("Are you over the age of 21?", "minimum_age"),
    ("Do you consent to a background check?", "background_check"),
    ("Are you willing to undergo a pre-employment drug screening?", "drug_test"),
    ("Do you have any relatives currently employed by Acme?", "relatives"),
    ("Are you bound by a non-compete agreement?", "non_compete"),
    ("Do you currently hold an active security clearance?", "security_clearance"),
    ("Have you ever been convicted of a felony?", "criminal_conviction"),
    # work eligibility
    ("Are you legally authorized to work in the United States?", "work_authorization"),
    ("Do you have the legal right to work in the UK?", "work_authorization"),
    ("Are you eligible to work in Canada?", "work_authorization"),
    (
        "Will you now or in the future require sponsorship for employment visa status "
        "(e.g. H-1B visa status)?",
        "sponsorship",
    ),
    ("Do you require visa sponsorship?", "sponsorship"),
    ("Will you require a work visa to work in Germany?", "sponsorship"),
    (
        "Are you legally authorized to work in the US without the need for employer sponsorship?",
        "authorized_without_sponsorship",
    ),
    (
        "Are you authorized to work in the US and will you require sponsorship?",
        "work_authorization_and_sponsorship",
    ),
    ("What is your current visa status?", "visa_status"),
    ("Are you a U.S. citizen?", "citizenship"),
    ("Country of citizenship", "citizenship"),
    # EEO
    ("Gender", "gender"),
    ("What is your gender identity?", "gender"),
    ("Are you Hispanic/Latino?", "hispanic_latino"),
    ("Race/Ethnicity", "race"),
    ("Veteran Status", "veteran"),
    ("Disability Status", "disability"),
    ("Pronouns", "pronouns"),
    ("Do you identify as transgender?", "transgender"),
    ("Sexual orientation", "sexual_orientation"),
    # names and contact
    ("Preferred First Name", "preferred_name"),
    ("Preferred name", "preferred_name"),
    ("Legal Name - First Name", "first_name"),
    ("Legal Name - Last Name", "last_name"),
    ("First and last name", "full_name"),
    ("Full legal name", "full_name"),
    ("Name", "full_name"),
    ("Email address", "email"),
    ("Phone Device Type", "phone_type"),
    ("Country Phone Code", "phone_country_code"),
    ("Phone country code", "phone_country_code"),
    ("Phone Extension", "phone_extension"),
    ("Mobile phone", "phone"),
    ("LinkedIn Profile", "linkedin"),
    ("GitHub URL", "github"),
    ("Portfolio URL", "portfolio"),
    ("Address Line 1", "address"),
    ("Street address", "address"),
    ("Address Line 2", "address_line2"),
    ("City", "city"),
    ("State / Province", "state"),
    ("Country", "country"),
    ("Country of residence", "country"),
    ("Zip / Postal code", "zip"),
    ("Current location", "location"),
    # experience and education
    ("How many years of professional experience do you have?", "years_experience"),
    ("Total years of experience", "years_experience"),
    ("What is the highest level of education you have completed?", "highest_education"),
    ("Highest degree", "highest_education"),
    ("Current company", "company"),
    ("Current job title", "title"),
    ("What languages do you speak?", "languages"),
    ("Cover letter", "cover_letter"),
]


@pytest.mark.parametrize(("question", "intent"), INTENT_CASES)
def test_intent_of_real_wordings(question: str, intent: str) -> None:
    assert intent_of(normalise(question)) == intent


NOT_INTENT_CASES = [
    # look alike, ask something else (often the opposite)
    ("Do you require relocation assistance?", "relocate"),
    ("Are you under 18 years of age?", "minimum_age"),
    ("Do you have at least 18 months of experience with Kafka?", "minimum_age"),
    ("How many years of experience do you have with Kubernetes?", "years_experience"),
    ("Years of Python experience", "years_experience"),
    ("When are you available for an interview?", "start_date"),
    ("Start date", "start_date"),  # a work-history or education entry, as often as not
    ("Are you available to start immediately?", "start_date"),  # wants yes or no
    ("Can you start within 2 weeks?", "start_date"),
    ("Is your salary expectation within $100k-$120k?", "salary"),
    ("I have read the privacy notice", "notice_period"),
    ("Are you comfortable with the salary range of $120k-$140k?", "salary"),
    ("Have you ever worked at a startup?", "previously_employed"),
    ("Have you worked for any of our subsidiaries or affiliates?", "previously_employed"),
    ("How did you learn Python?", "how_heard"),
    ("Are you able to work weekends?", "work_authorization"),
    ("Referee name", "full_name"),
    ("Referrer first name", "first_name"),
    ("Emergency contact phone", "phone"),
    ("Country of birth", "country"),
    ("Which programming languages do you use?", "languages"),
    ("Are you a military spouse?", "veteran"),
    ("Company website", "portfolio"),
    ("Other website", "portfolio"),  # Lever: a further link, not the portfolio
    ("Email address of your referrer", "email"),
]


@pytest.mark.parametrize(("question", "intent"), NOT_INTENT_CASES)
def test_intent_of_look_alikes(question: str, intent: str) -> None:
    assert intent_of(normalise(question)) != intent


def test_no_intent_for_unrelated_questions() -> None:
    for question in (
        "Why do you like distributed systems?",
        "Describe a project you are proud of",
        "Do you have a valid driver's license?",
        "",
    ):
        assert intent_of(normalise(question)) in (None, "why_interested"), question


def test_table_phrases_are_normalised() -> None:
    for intent in INTENTS:
        for phrase in intent.phrases:
            assert normalise(phrase) == phrase, (intent.name, phrase)


# -- qa_answers matched by meaning --------------------------------------------------------

QA = {
    "Salary expectations": "$150,000",
    "What is your earliest start date?": "2025-09-01",
    "How did you hear about this job?": "LinkedIn",
    "Are you willing to relocate?": "Yes",
    "Notice period": "2 weeks",
    "Do you have any relatives working at the company?": "No",
    "Are you subject to a non-compete agreement?": "No",
    "Do you consent to a background check?": "Yes",
    "Willing to take a drug test?": "Yes",
    "Do you hold a security clearance?": "No",
    "Are you open to remote work?": "Yes",
    "Years of experience with Python": "6",
    "Describe your experience leading distributed teams across time zones": "I led a team...",
}

QA_CASES = [
    # (question, kind, options, expected)
    ("What are your salary expectations for this role (USD)?", "text", None, "$150,000"),
    ("Desired compensation", "text", None, "$150,000"),
    ("When can you start?", "text", None, "2025-09-01"),
    ("Earliest Start Date", "text", None, "2025-09-01"),
    ("Availability to start", "text", None, "2025-09-01"),
    (
        "How Did You Hear About Us?",
        "select",
        ["Select...", "Indeed", "LinkedIn", "Company website", "Employee referral"],
        "LinkedIn",
    ),
    ("Source", "select", ["Glassdoor", "LinkedIn", "Other"], "LinkedIn"),
    ("Are you open to relocation?", "radio", YES_NO, "Yes"),
    ("What is your notice period?", "text", None, "2 weeks"),
    (
        "Do you have any family members currently employed by Acme?",
        "radio",
        ["Yes", "No"],
        "No",
    ),
    ("Are you bound by any non-compete or non-solicitation agreements?", "radio", YES_NO, "No"),
    ("Do you authorize us to conduct a background screening?", "radio", YES_NO, "Yes"),
    ("Are you willing to undergo a pre-employment drug screening?", "radio", YES_NO, "Yes"),
    ("Do you currently hold an active security clearance?", "radio", YES_NO, "No"),
    ("Would you be willing to work remotely?", "radio", YES_NO, "Yes"),
    # a question contained in a longer key, and a key contained in a longer question
    ("How many years of experience with Python do you have?", "text", None, "6"),
    ("Experience leading distributed teams across time zones", "textarea", None, "I led a team..."),
    # yes / no answers pick the page's own wording of yes and no
    (
        "Are you willing to relocate?",
        "select",
        ["Yes, I am willing to relocate", "No, I am not willing to relocate"],
        "Yes, I am willing to relocate",
    ),
]


@pytest.mark.parametrize(("question", "kind", "options", "expected"), QA_CASES)
def test_qa_answers_match_by_meaning(
    question: str, kind: str, options: list[str] | None, expected: str
) -> None:
    b = book(QA)
    assert chosen(field(question, kind, options), b) == expected
    assert b.answer_for(field(question, kind, options)).source.startswith("qa:")  # type: ignore[union-attr]


QA_NEGATIVE_CASES = [
    # shares only a generic word with a key
    "Do you have experience with Kubernetes?",
    "Are you willing to travel up to 50%?",
    "Do you require relocation assistance?",
    "What is your current salary?",
    "Are you able to work onsite 5 days a week?",
    "How many years of experience do you have?",  # "...with Python" is not all experience
    "Describe your experience",
    "When are you available for an interview?",
    "Why do you want to work here?",
]


@pytest.mark.parametrize("question", QA_NEGATIVE_CASES)
def test_qa_answers_do_not_answer_other_questions(question: str) -> None:
    b = AnswerBook(Profile("", "", ""), QA, today=TODAY)
    assert b.answer_for(field(question)) is None


def test_two_keys_for_one_question_that_disagree_answer_nothing() -> None:
    qa = {"Are you willing to relocate?": "Yes", "Open to relocation": "No"}
    b = AnswerBook(Profile("", "", ""), qa)
    assert b.answer_for(field("Would you relocate for this role?", "radio", YES_NO)) is None
    agree = AnswerBook(Profile("", "", ""), {**qa, "Open to relocation": "yes"})
    answer = agree.answer_for(field("Would you relocate for this role?", "radio", YES_NO))
    assert answer is not None and normalise(answer.value) == "yes"


def test_keys_containing_the_question_equally_and_disagreeing_answer_nothing() -> None:
    qa = {"Python experience level": "Senior", "Python experience years": "6"}
    b = AnswerBook(Profile("", "", ""), qa)
    assert b.answer_for(field("Python experience")) is None


@pytest.mark.parametrize(
    ("qa", "question", "expected"),
    [
        # a key naming another country does not answer the question
        (
            {"Are you authorized to work in the US?": "Yes"},
            "Are you authorized to work in Canada?",
            None,
        ),
        ({"Are you authorized to work?": "Yes"}, "Are you authorized to work in Canada?", "Yes"),
        # the key's phrase must be a whole phrase of the question, not part of a longer one
        ({"Experience with AWS": "Yes"}, "Do you have experience with AWS Lambda?", None),
        (
            {"Experience with AWS": "Yes"},
            "Do you have hands-on experience with AWS in production?",
            "Yes",
        ),
        ({"Driver's license": "Yes"}, "Do you have a commercial driver's license?", None),
        ({"Driver's license": "Yes"}, "Do you have a driver's license?", "Yes"),
        # the same content words, reworded; one word apart is another question
        (
            {"Do you have a driver's license?": "Yes"},
            "Do you have a valid driver's license?",
            "Yes",
        ),
        ({"Do you have experience with AWS?": "Yes"}, "Do you have experience with Azure?", None),
        (
            {"Are you comfortable working in an office?": "Yes"},
            "Are you comfortable working remotely?",
            None,
        ),
        ({"Do you have a driver's license?": "Yes"}, "Driver's license number", None),
        # an hourly rate is not an annual salary
        ({"Desired salary": "140000"}, "What is your desired hourly rate?", None),
        # the employer's name reads as "this company"
        (
            {"Have you worked for us before?": "No"},
            "Have you previously worked for Acme Inc.?",
            "No",
        ),
    ],
)
def test_qa_matching_guards(qa: dict[str, str], question: str, expected: str | None) -> None:
    b = AnswerBook(Profile("", "", ""), qa, employer="Acme")
    answer = b.answer_for(field(question))
    assert (answer.value if answer else None) == expected


def test_the_same_words_win_over_meaning() -> None:
    qa = {"Start date": "Immediately", "When can you start?": "2025-09-01"}
    b = AnswerBook(Profile("", "", ""), qa)
    assert b.answer_for(field("Start date")).value == "Immediately"  # type: ignore[union-attr]


def test_qa_answers_win_over_the_profile() -> None:
    b = book({"Phone": "+44 20 7946 0000"})
    assert b.answer_for(field("Phone")).value == "+44 20 7946 0000"  # type: ignore[union-attr]


# -- derived from the profile -------------------------------------------------------------

AUTH_CASES = [
    # (work_authorization, question, options, expected)
    ("US Citizen", "Are you legally authorized to work in the United States?", YES_NO, "Yes"),
    ("US Citizen", "Will you now or in the future require sponsorship?", YES_NO, "No"),
    (
        "Green card holder",
        "Are you legally authorized to work in the United States?",
        YES_NO,
        "Yes",
    ),
    ("Green card holder", "Will you now or in the future require sponsorship?", YES_NO, "No"),
    ("H-1B, will need sponsorship", "Are you authorized to work in the US?", YES_NO, "Yes"),
    (
        "H-1B, will need sponsorship",
        "Will you now or in the future require sponsorship for employment visa status?",
        YES_NO,
        "Yes",
    ),
    (
        "H-1B, will need sponsorship",
        "Are you legally authorized to work in the United States for any employer?",
        YES_NO,
        "No",
    ),
    (
        "H-1B",
        "Are you legally authorized to work in the US without the need for employer sponsorship?",
        YES_NO,
        "No",
    ),
    (
        "US Citizen",
        "Are you legally authorized to work in the US without the need for employer sponsorship?",
        YES_NO,
        "Yes",
    ),
    ("F-1 OPT", "Are you legally authorized to work in the United States?", YES_NO, "Yes"),
    (
        "F-1 OPT",
        "Will you now or in the future require sponsorship for employment visa status?",
        YES_NO,
        "Yes",
    ),
    ("Does not require sponsorship", "Do you require visa sponsorship?", YES_NO, "No"),
    ("Not authorized to work", "Are you eligible to work in the United States?", YES_NO, "No"),
    # the page's own wording of yes and no
    (
        "US Citizen",
        "Are you legally authorized to work in the United States?",
        ["Yes, I am authorized to work in the US", "No, I am not authorized"],
        "Yes, I am authorized to work in the US",
    ),
    (
        "US Citizen",
        "Will you now or in the future require visa sponsorship?",
        ["I will require sponsorship", "I will not require sponsorship"],
        "I will not require sponsorship",
    ),
    (
        "Green card holder",
        "Will you require sponsorship?",
        ["Yes, I will need sponsorship", "No, I will not require sponsorship"],
        "No, I will not require sponsorship",
    ),
    # citizenship, where it follows plainly
    ("US Citizen", "Are you a U.S. citizen?", YES_NO, "Yes"),
    ("Green card holder", "Are you a U.S. citizen?", YES_NO, "No"),
    ("Green card holder", "Are you a U.S. citizen or lawful permanent resident?", YES_NO, "Yes"),
    ("H-1B", "Are you a citizen of the United States?", YES_NO, "No"),
    ("US Citizen", "Country of citizenship", None, "United States"),
    (
        "US Citizen",
        "Country of citizenship",
        ["Canada", "United States of America", "United Kingdom"],
        "United States of America",
    ),
    (
        "Green card holder",
        "Citizenship status",
        ["U.S. Citizen", "Permanent Resident", "Other"],
        "Permanent Resident",
    ),
    (
        "H-1B, will need sponsorship",
        "What is your current visa status?",
        ["US Citizen", "Green Card", "H1B", "F1 / OPT"],
        "H1B",
    ),
    ("UK citizen", "Do you have the legal right to work in the UK?", YES_NO, "Yes"),
]


@pytest.mark.parametrize(("status", "question", "options", "expected"), AUTH_CASES)
def test_work_eligibility_from_the_profile(
    status: str, question: str, options: list[str] | None, expected: str
) -> None:
    kind = "radio" if options else "text"
    assert chosen(field(question, kind, options), book(work_authorization=status)) == expected


AUTH_NEGATIVE_CASES = [
    # a country the profile says nothing about
    ("US Citizen", "Are you legally authorized to work in Canada?"),
    ("US Citizen", "Will you require sponsorship to work in the UK?"),
    ("US Citizen", "Are you a citizen of Canada?"),
    ("Green card holder", "Are you a citizen of the United Kingdom?"),
    # says nothing plain
    ("EAD", "Will you now or in the future require sponsorship?"),
    ("TN visa", "Will you now or in the future require sponsorship?"),
    ("F-1 OPT", "Do you require visa sponsorship?"),  # now or later? not said
    ("Citizen", "Are you a citizen?"),  # of where?
    # a combined question needs the applicant's own answer
    ("H-1B", "Are you authorized to work in the US and will you require sponsorship?"),
]


@pytest.mark.parametrize(("status", "question"), AUTH_NEGATIVE_CASES)
def test_work_eligibility_left_alone_when_not_plain(status: str, question: str) -> None:
    assert book(work_authorization=status).answer_for(field(question, "radio", YES_NO)) is None


def test_no_work_authorization_no_answer() -> None:
    b = AnswerBook(Profile("A", "B", "a@b.c"), today=TODAY)
    for q in ("Are you legally authorized to work in the US?", "Do you require sponsorship?"):
        assert b.answer_for(field(q, "radio", YES_NO)) is None


def test_work_status_reads_common_spellings() -> None:
    us = work_status("U.S. Citizen")
    assert (us.kind, us.countries, us.authorized, us.sponsor_now) == (
        "citizen",
        {"US"},
        True,
        False,
    )
    assert work_status("Canadian citizen").countries == {"CA"}
    assert work_status("Permanent resident", home="CA").countries == {"CA"}
    assert work_status("Green Card").countries == {"US"}
    h1b = work_status("H1-B visa, requires sponsorship")
    assert (h1b.kind, h1b.authorized, h1b.sponsor_now, h1b.sponsor_future) == (
        "h1b",
        True,
        True,
        True,
    )
    opt = work_status("F1 STEM OPT")
    assert (opt.kind, opt.sponsor_now, opt.sponsor_future) == ("opt", False, True)
    assert work_status("Yes", home="US").authorized is True
    assert work_status("no sponsorship needed").sponsor_future is False
    assert work_status("").authorized is None


def test_country_and_phone_country_code() -> None:
    b = book()
    assert chosen(field("Country", "select", ["Canada", "United States", "Mexico"]), b) == (
        "United States"
    )
    code_options = [
        "Canada (+1)",
        "United Kingdom (+44)",
        "United States of America (+1)",
        "United States Minor Outlying Islands (+1)",
    ]
    assert chosen(field("Country Phone Code", "select", code_options), b) == (
        "United States of America (+1)"
    )
    assert chosen(field("Phone country code", "select", ["+1", "+44", "+49"]), b) == "+1"
    assert chosen(field("Country code", "select", ["CA +1", "US +1", "UK +44"]), b) == "US +1"
    text = b.answer_for(field("Country code"))
    assert text is not None and (text.value, text.alternatives) == (
        "+1",
        ["1", "United States (+1)", "United States"],
    )
    # a country named only in the ISO code of the profile
    assert (
        chosen(field("Country", "select", ["Germany", "France"]), book(location={"country": "DE"}))
        == "Germany"
    )


@pytest.mark.parametrize(
    ("phone", "country", "options", "expected"),
    [
        (
            "+44 20 7946 0958",
            "United Kingdom",
            ["United States (+1)", "United Kingdom (+44)"],
            "United Kingdom (+44)",
        ),
        ("+49 30 1234567", None, ["Deutschland (+49)", "France (+33)"], "Deutschland (+49)"),
        ("+91 98765 43210", "India", ["+1", "+91", "+61"], "+91"),
        ("415 555 0132", "Canada", ["United States (+1)", "Canada (+1)"], "Canada (+1)"),
        ("0 6 12 34 56 78", "France", ["Germany (+49)", "France (+33)"], "France (+33)"),
        ("+61 2 9876 5432", "Australia", ["Australia (+61)", "Austria (+43)"], "Australia (+61)"),
        # +1 without a country: the United States or Canada? not said
        ("+1 415 555 0132", None, ["United States (+1)", "Canada (+1)"], None),
    ],
)
def test_phone_country_code_from_phone_or_country(
    phone: str, country: str | None, options: list[str], expected: str | None
) -> None:
    b = book(phone=phone, location={"country": country} if country else {})
    assert chosen(field("Country Phone Code", "select", options), b) == expected


def test_phone_device_type() -> None:
    options = ["Home", "Mobile", "Work"]
    assert chosen(field("Phone Device Type", "select", options), book()) == "Mobile"
    assert chosen(field("Phone type", "select", ["Cell", "Landline"]), book()) == "Cell"
    assert chosen(field("Phone Device Type", "select", options), book(phone_type="Home")) == "Home"
    assert book(phone=None).answer_for(field("Phone Device Type", "select", options)) is None
    # the phone number field is still the number
    assert chosen(field("Phone"), book()) == "+1 415 555 0132"


EMPLOYER_CASES = [
    # (employer, work_history, question, expected)
    (
        "Analytical Engines Ltd",
        [{"company": "Analytical Engines Ltd", "title": "Engineer"}],
        "Have you previously worked for Analytical Engines?",
        "Yes",
    ),
    (
        "Acme Inc.",
        [{"company": "Analytical Engines Ltd", "title": "Engineer"}],
        "Have you ever been employed by Acme?",
        "No",
    ),
    (
        "Acme",
        [{"company": "Acme, Inc.", "title": "Engineer", "end_date": "2021-01"}],
        "Are you a current or former Acme employee?",
        "Yes",
    ),
    (
        "Acme",
        [{"company": "Acme Corporation", "title": "Engineer", "end_date": "2021-01"}],
        "Are you a current employee of Acme?",
        "No",
    ),
    (
        "Acme",
        [{"company": "ACME", "title": "Engineer", "current": True}],
        "Are you currently an Acme employee?",
        "Yes",
    ),
    ("Acme", [], "Have you worked for Acme before?", "No"),
    # the employer unknown: only an empty history answers, or a company the question names
    (None, [], "Are you a former employee?", "No"),
    (
        None,
        [{"company": "Globex", "title": "Engineer"}],
        "Are you a current or former Globex employee?",
        "Yes",
    ),
]


@pytest.mark.parametrize(("employer", "history", "question", "expected"), EMPLOYER_CASES)
def test_worked_for_this_employer(
    employer: str | None, history: list[dict[str, Any]], question: str, expected: str
) -> None:
    b = book(employer=employer, work_history=history)
    f = field(question, "radio", ["Yes", "No"])
    assert chosen(f, b) == expected
    assert b.answer_for(f).source.startswith("derived:")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("employer", "history", "question"),
    [
        # the employer unknown and a history: cannot be told
        (None, [{"company": "Globex"}], "Have you ever worked for us before?"),
        # one name inside the other: the same company or not?
        ("Meta", [{"company": "Meta Platforms"}], "Have you previously worked for Meta?"),
        # about some other company
        ("Acme", [{"company": "Globex"}], "Have you ever worked at a startup?"),
        ("Acme", [{"company": "Globex"}], "Have you worked for any of our subsidiaries?"),
        # no end date and not said to be current
        ("Acme", [{"company": "Acme"}], "Are you a current Acme employee?"),
    ],
)
def test_worked_for_this_employer_left_alone(
    employer: str | None, history: list[dict[str, Any]], question: str
) -> None:
    b = book(employer=employer, work_history=history)
    assert b.answer_for(field(question, "radio", YES_NO)) is None


def test_start_date_and_notice_period() -> None:
    b = book(available_start_date="2025-09-01", notice_period="2 weeks")
    assert chosen(field("When can you start?"), b) == "2025-09-01"
    answer = b.answer_for(field("Available start date", "date", input_type="date"))
    assert answer is not None and answer.date == dt.date(2025, 9, 1)
    assert chosen(field("What is your notice period?"), b) == "2 weeks"
    # "start_date" is another spelling; "Immediately" is a date in a date field
    now = book(start_date="Immediately")
    assert chosen(field("When can you start?"), now) == "Immediately"
    assert (
        chosen(
            field("Earliest start date", "select", ["Immediately", "Within 1 month", "1-3 months"]),
            now,
        )
        == "Immediately"
    )
    answer = now.answer_for(field("Earliest start date", placeholder="MM/DD/YYYY"))
    assert answer is not None and answer.date == TODAY
    # only a notice period: the start follows from it
    notice = book(notice_period="2 weeks")
    answer = notice.answer_for(field("Available start date", "date", input_type="date"))
    assert answer is not None and answer.date == TODAY + dt.timedelta(days=14)
    assert (
        chosen(
            field("When can you start?", "select", ["Immediately", "Within 2 weeks", "1 month"]),
            notice,
        )
        == "Within 2 weeks"
    )
    # nothing said: nothing answered
    assert book().answer_for(field("When can you start?")) is None
    assert book().answer_for(field("What is your notice period?")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Immediately", TODAY),
        ("ASAP", TODAY),
        ("2 weeks", TODAY + dt.timedelta(days=14)),
        ("in 1 month", TODAY + dt.timedelta(days=30)),
        ("30 days notice", TODAY + dt.timedelta(days=30)),
        ("whenever", None),
        ("2025-09-01", None),
    ],
)
def test_relative_date(value: str, expected: dt.date | None) -> None:
    assert relative_date(value, TODAY) == expected


@pytest.mark.parametrize(
    ("changes", "question", "expected"),
    [
        ({"date_of_birth": "1990-05-01"}, "Are you 18 years of age or older?", "Yes"),
        ({"date_of_birth": "2008-06-03"}, "Are you at least 18 years old?", "No"),
        ({"date_of_birth": "2007-06-02"}, "Are you at least 18 years old?", "Yes"),  # today
        ({"date_of_birth": "2006-01-01"}, "Are you over the age of 21?", "No"),
        ({"over_18": True}, "Are you 18 or older?", "Yes"),
        ({"over_18": True}, "Are you of legal age?", "Yes"),
        ({"over_18": False}, "Are you 18 or older?", "No"),
        ({"over_18": True}, "Are you 21 years of age or older?", None),  # not said
        ({}, "Are you 18 years of age or older?", None),
    ],
)
def test_minimum_age(changes: dict[str, Any], question: str, expected: str | None) -> None:
    assert chosen(field(question, "radio", YES_NO), book(**changes)) == expected


def test_names_links_and_address() -> None:
    b = book(
        github_url="https://github.com/ada",
        location={"city": "London", "country": "UK", "street": "12 St James's Square"},
    )
    assert chosen(field("Legal Name - First Name"), b) == "Ada"
    assert chosen(field("Legal Name - Last Name"), b) == "Lovelace"
    assert chosen(field("First and last name"), b) == "Ada Lovelace"
    assert chosen(field("Full legal name"), b) == "Ada Lovelace"
    assert chosen(field("GitHub URL"), b) == "https://github.com/ada"
    assert chosen(field("Address Line 1"), b) == "12 St James's Square"
    assert chosen(field("Country", "select", ["United Kingdom", "United States"]), b) == (
        "United Kingdom"
    )
    # a preferred name stays empty unless given, and is never the first name by default
    assert b.answer_for(field("Preferred First Name", required=False)) is None
    assert chosen(field("Preferred name"), book(preferred_name="Addie")) == "Addie"
    assert b.answer_for(field("Address Line 2", required=False)) is None
    assert b.answer_for(field("Referrer first name")) is None
    assert b.answer_for(field("Emergency contact phone")) is None


def test_highest_education_picks_the_highest_degree() -> None:
    b = book(
        education=[
            {"institution": "UCL", "degree": "Bachelor of Science"},
            {"institution": "MIT", "degree": "Master of Engineering"},
        ]
    )
    options = ["High School", "Associate's", "Bachelor's Degree", "Master's Degree", "Doctorate"]
    assert chosen(field("Highest level of education", "select", options), b) == "Master's Degree"
    unknown = book(
        education=[{"institution": "A", "degree": "BSc"}, {"institution": "B", "degree": "Diplom"}]
    )
    assert unknown.answer_for(field("Highest degree", "select", options)) is None


def test_years_of_experience_only_for_overall_experience() -> None:
    b = book()
    options = ["0-2", "3-5", "6-10", "10+"]
    assert chosen(field("Years of relevant experience", "select", options), b) == "6-10"
    assert b.answer_for(field("How many years of experience do you have with Go?")) is None
    assert b.answer_for(field("Years of management experience")) is None


def test_profile_values_do_not_answer_yes_no_questions() -> None:
    b = book()
    assert (
        b.answer_for(field("Do you have a Bachelor's degree in Computer Science?", "radio", YES_NO))
        is None
    )
    assert b.answer_for(field("Is your current location in the US?")) is None
    assert b.answer_for(field("Employer phone number")) is None
    assert b.answer_for(field("Title", "select", ["Mr", "Mrs", "Ms", "Dr"])) is None
    # a link is still the answer to "Do you have a LinkedIn profile?"
    assert chosen(field("Do you have a LinkedIn profile? Please share the URL"), b) == (
        "https://www.linkedin.com/in/ada-lovelace"
    )


def test_salary_expectation_not_current_salary() -> None:
    b = book()
    assert chosen(field("What is your expected salary?"), b) == "150000"
    assert b.answer_for(field("What is your current salary?")) is None


# -- EEO -------------------------------------------------------------------------------

GENDER = ["Male", "Female", "Decline To Self Identify"]
VETERAN = [
    "I am not a protected veteran",
    "I identify as one or more of the classifications of protected veteran",
    "I don't wish to answer",
]
DISABILITY = [
    "Yes, I have a disability, or have had one in the past",
    "No, I do not have a disability and have not had one in the past",
    "I do not want to answer",
]
RACE = [
    "American Indian or Alaskan Native",
    "Asian (Not Hispanic or Latino)",
    "Black or African American",
    "White (Not Hispanic or Latino)",
    "Two or More Races",
    "Decline To Self Identify",
]


def test_eeo_declined_when_not_given() -> None:
    b = book()
    assert chosen(field("Gender", "select", GENDER), b) == "Decline To Self Identify"
    assert chosen(field("Veteran Status", "select", VETERAN), b) == "I don't wish to answer"
    assert chosen(field("Disability Status", "radio", DISABILITY), b) == "I do not want to answer"
    assert b.answer_for(field("Gender", "select", GENDER)).source == "decline"  # type: ignore[union-attr]
    # optional ones are declined too; none are when declining is switched off
    assert chosen(field("Gender", "select", GENDER, required=False), b) == GENDER[2]
    off = AnswerBook(profile(), decline_required_eeo=False)
    assert off.answer_for(field("Gender", "select", GENDER)) is None
    assert off.answer_for(field("Gender", "select", GENDER, required=False)) is None


@pytest.mark.parametrize(
    ("eeo", "question", "options", "expected"),
    [
        (
            {"gender": "Female"},
            "Gender",
            ["Man", "Woman", "Non-binary", "I prefer not to say"],
            "Woman",
        ),
        ({"gender": "Male"}, "Gender", GENDER, "Male"),
        ({"veteran_status": "No"}, "Veteran Status", VETERAN, "I am not a protected veteran"),
        (
            {"veteran": "I am not a protected veteran"},
            "Veteran Status",
            VETERAN,
            "I am not a protected veteran",
        ),
        ({"veteran_status": True}, "Veteran Status", VETERAN, VETERAN[1]),
        ({"disability_status": "No"}, "Disability Status", DISABILITY, DISABILITY[1]),
        ({"disability": "Yes"}, "Disability Status", DISABILITY, DISABILITY[0]),
        (
            {"hispanic_latino": False},
            "Are you Hispanic/Latino?",
            ["Yes", "No", "Decline To Self Identify"],
            "No",
        ),
        ({"race": "Asian"}, "Race", RACE, "Asian (Not Hispanic or Latino)"),
        ({"ethnicity": "White"}, "Race/Ethnicity", RACE, "White (Not Hispanic or Latino)"),
        ({"gender": "Prefer not to say"}, "Gender", GENDER, "Decline To Self Identify"),
    ],
)
def test_eeo_from_the_profile(
    eeo: dict[str, Any], question: str, options: list[str], expected: str
) -> None:
    b = book(eeo=eeo)
    assert chosen(field(question, "select", options, required=False), b) == expected


def test_eeo_at_the_top_level_of_the_profile() -> None:
    assert chosen(field("Gender", "select", GENDER), book(gender="Female")) == "Female"


# -- choose_option ----------------------------------------------------------------------


def opts(*texts: str) -> list[dict[str, Any]]:
    return [{"text": t, "value": t.lower()} for t in texts]


@pytest.mark.parametrize(
    ("answer", "options", "expected"),
    [
        ("Yes", opts("Yes", "No"), "Yes"),
        ("No", opts("Yes, I will require sponsorship", "No, I will not"), "No, I will not"),
        ("Yes", opts("Yes - I am authorized", "No - I am not"), "Yes - I am authorized"),
        (
            "No",
            opts("I am authorized", "I am not authorized", "Prefer not to say"),
            "I am not authorized",
        ),
        ("Yes", opts("I am authorized", "I am not authorized"), "I am authorized"),
        ("Yes", opts("True", "False"), "True"),
        ("No", opts("Y", "N"), "N"),
        # two yes-like options: which one?
        ("Yes", opts("Yes, full time", "Yes, part time", "No"), None),
        # three sides: not a yes / no
        ("No", opts("I am a citizen", "I have a visa", "I am not authorized"), None),
        # "No preference" is not "No"
        ("No", opts("Remote", "Hybrid", "No preference"), None),
        ("Mobile", opts("Home", "Cell", "Work"), "Cell"),
        ("United States (+1)", opts("+1", "+44"), "+1"),
        ("United States (+1)", opts("Canada (+1)", "United States (+1)"), "United States (+1)"),
        ("+1", opts("Canada (+1)", "United States (+1)"), None),
        (
            "United States",
            opts("Canada (+1)", "United States (+1)", "Uruguay (+598)"),
            "United States (+1)",
        ),
        (
            "Green card holder",
            opts("U.S. Citizen", "Permanent Resident", "Other"),
            "Permanent Resident",
        ),
        ("US Citizen", opts("U.S. Citizen", "Non-U.S. Citizen"), "U.S. Citizen"),
        (
            "Decline to answer",
            opts("Yes", "No", "I don't wish to answer"),
            "I don't wish to answer",
        ),
        ("Decline to answer", opts("Yes", "No"), None),
        ("2 weeks", opts("Immediately", "1-2 weeks", "2-4 weeks"), "1-2 weeks"),
        # a number of years is a number, not a yes
        ("1", opts("0-1", "2-5", "6+"), "0-1"),
        ("IN", opts("Indiana", "India"), "Indiana"),
    ],
)
def test_choose_option(answer: str, options: list[dict[str, Any]], expected: str | None) -> None:
    option = choose_option(answer, options)
    assert (option["text"] if option else None) == expected


# -- the profile --------------------------------------------------------------------------


def test_profile_accepts_optional_fields_and_other_spellings() -> None:
    p = decode_profile(
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "github": "https://github.com/ada",
            "website": "https://ada.dev",
            "phoneType": "Home",
            "startDate": "2025-09-01",
            "noticePeriod": "1 month",
            "dob": "1990-01-01",
            "location": {"street": "1 Main St", "postal_code": "94107", "province": "ON"},
            "eeo": {"ethnicity": "Asian", "veteran": "No", "disability": False},
            "unknownThing": 1,
        }
    )
    assert p.github_url == "https://github.com/ada"
    assert p.portfolio_url == "https://ada.dev"
    assert p.phone_type == "Home"
    assert p.available_start_date == "2025-09-01"
    assert p.notice_period == "1 month"
    assert p.date_of_birth == "1990-01-01"
    assert (p.location.address, p.location.zip, p.location.state) == ("1 Main St", "94107", "ON")
    assert (p.eeo.race, p.eeo.veteran_status, p.eeo.disability_status) == ("Asian", "No", False)


def test_countries_and_dial_codes() -> None:
    assert countries_in(normalise("Are you authorized to work in the U.S.?")) == {"US"}
    assert countries_in(normalise("How did you hear about us?")) == set()
    assert countries_in(normalise("Do you have the right to work in the UK?")) == {"GB"}
    assert countries_in(normalise("Latin America experience")) == set()
    assert dial_code_of("+44 20 7946 0958") == "44"
    assert dial_code_of("0049 30 1234567") == "49"
    assert dial_code_of("+353 1 234 5678") == "353"
    assert dial_code_of("(415) 555-0132") is None
    assert dial_code_of("+30 21 0123 4567") is None  # a code the table does not hold


def test_employer_name_does_not_leak_into_other_questions() -> None:
    b = book({"Why do you want to work here?": "Engines."}, employer="Acme")
    assert b.answer_for(field("Why do you want to work at Acme?", "textarea")).value == "Engines."  # type: ignore[union-attr]
    assert b.answer_for(field("What do you know about Acme's products?", "textarea")) is None


# -- the ATS replicas (ghosthands.sample_site.ats): their exact labels and options ----------
#
# Each case is one field of a replica as discovery reads it, with the value its
# ``expected`` holds for SAMPLE_PROFILE + SAMPLE_QA_ANSWERS.


def typed_pick(answer: Any, shown_for: Any) -> str | None:
    """What a typeahead ends with under the engine's contract: type ``answer.value``, then
    each alternative; pick ``choose_option(answer.value, shown)``, else
    ``choose_option(typed, shown)``. ``shown_for(typed)`` is what the page lists."""
    for typed in [str(answer.value), *answer.alternatives]:
        shown = [{"text": t, "value": t} for t in shown_for(typed)]
        option = choose_option(answer.value, shown) or choose_option(typed, shown)
        if option is not None:
            return str(option["text"])
    return None


def includes(options: list[str]) -> Any:
    """A react-select filtering its options by what is typed (Greenhouse)."""
    return lambda typed: [o for o in options if typed.lower() in o.lower()]


def words_start(options: list[str]) -> Any:
    """A server search where every typed word starts a word of the item (the replicas')."""
    return lambda typed: search(options, typed)


GH_GENDER = ["Male", "Female", "Decline To Self Identify"]
GH_HISPANIC = ["Yes", "No", "Decline To Self Identify"]
GH_VETERAN = [
    "I am not a protected veteran",
    "I identify as one or more of the classifications of protected veteran",
    "I don't wish to answer",
]
GH_DISABILITY = [
    "Yes, I have a disability, or have had one in the past",
    "No, I do not have a disability and have not had one in the past",
    "I do not want to answer",
]
EMBED_DISABILITY = [
    "Yes, I have a disability (or previously had a disability)",
    "No, I don't have a disability",
    "I don't wish to answer",
]
LEVER_RACE = [
    "Hispanic or Latino",
    "White (Not Hispanic or Latino)",
    "Black or African American (Not Hispanic or Latino)",
    "Native Hawaiian or Other Pacific Islander (Not Hispanic or Latino)",
    "Asian (Not Hispanic or Latino)",
    "American Indian or Alaska Native (Not Hispanic or Latino)",
    "Two or More Races (Not Hispanic or Latino)",
    "Decline to self-identify",
]
LEVER_VETERAN = ["I am a veteran", "I am not a veteran", "Decline to self-identify"]
WD_ETHNICITY = [
    "American Indian or Alaska Native (United States of America)",
    "Asian (United States of America)",
    "Black or African American (United States of America)",
    "Hispanic or Latino (United States of America)",
    "Native Hawaiian or Other Pacific Islander (United States of America)",
    "Two or More Races (United States of America)",
    "White (United States of America)",
    "I do not wish to answer. (United States of America)",
]
WD_VETERAN = [
    "I am not a protected veteran",
    "I identify as one or more of the classifications of protected veteran",
    "I do not wish to self-identify",
]
WD_DISABILITY = [
    "Yes, I have a disability (or previously had a disability)",
    "No, I do not have a disability and have not had one in the past",
    "I do not want to answer",
]

#: (replica, question, kind, options, required, the option expected)
EEO_DECLINE_CASES = [
    ("greenhouse_embed", "Gender", "select", GH_GENDER, False, "Decline To Self Identify"),
    ("greenhouse_embed", "Are you Hispanic/Latino?", "select", GH_HISPANIC, False, GH_HISPANIC[2]),
    ("greenhouse_embed", "Veteran Status", "select", GH_VETERAN, False, "I don't wish to answer"),
    (
        "greenhouse_embed",
        "Disability Status",
        "select",
        EMBED_DISABILITY,
        False,
        EMBED_DISABILITY[2],
    ),
    (
        "lever",
        "Gender",
        "select",
        ["Male", "Female", "Decline to self-identify"],
        False,
        "Decline to self-identify",
    ),
    ("lever", "Race", "select", LEVER_RACE, False, "Decline to self-identify"),
    ("lever", "Veteran status", "select", LEVER_VETERAN, False, "Decline to self-identify"),
    (
        "ashby",
        "Gender",
        "radio",
        ["Male", "Female", "Decline to self-identify"],
        False,
        "Decline to self-identify",
    ),
    ("ashby", "Veteran Status", "radio", LEVER_VETERAN, False, "Decline to self-identify"),
    (
        "workday",
        "Gender",
        "select",
        ["Female", "Male", "I do not wish to answer"],
        True,
        "I do not wish to answer",
    ),
    (
        "workday",
        "Are you Hispanic or Latino?",
        "select",
        ["Yes", "No", "I do not wish to answer"],
        True,
        "I do not wish to answer",
    ),
    ("workday", "Race/Ethnicity", "select", WD_ETHNICITY, True, WD_ETHNICITY[-1]),
    ("workday", "Veteran Status", "select", WD_VETERAN, True, "I do not wish to self-identify"),
    (
        "icims",
        "Gender",
        "select",
        ["-- Make a Selection --", "Male", "Female", "I do not wish to self-identify"],
        False,
        "I do not wish to self-identify",
    ),
    (
        "icims",
        "Race/Ethnicity",
        "select",
        [
            "-- Make a Selection --",
            "Asian",
            "White",
            "Two or More Races",
            "I do not wish to self-identify",
        ],
        False,
        "I do not wish to self-identify",
    ),
]


@pytest.mark.parametrize(
    ("replica", "question", "kind", "options", "required", "expected"), EEO_DECLINE_CASES
)
def test_replica_eeo_declined_required_or_not(
    replica: str, question: str, kind: str, options: list[str], required: bool, expected: str
) -> None:
    b = book()
    f = field(question, kind, options, required=required)
    answer = b.answer_for(f)
    assert answer is not None and answer.source == "decline", replica
    assert chosen(f, b) == expected


@pytest.mark.parametrize(
    ("question", "options", "expected"),
    [
        ("Gender", GH_GENDER, "Decline To Self Identify"),
        ("Are you Hispanic/Latino?", GH_HISPANIC, "Decline To Self Identify"),
        ("Veteran Status", GH_VETERAN, "I don't wish to answer"),
        ("Disability Status", GH_DISABILITY, "I do not want to answer"),
    ],
)
def test_greenhouse_eeo_typeahead_declined(
    question: str, options: list[str], expected: str
) -> None:
    """Greenhouse's react-selects show their options only when typed into."""
    answer = book().answer_for(field(question, "combobox", required=False))
    assert answer is not None and answer.source == "decline"
    assert typed_pick(answer, includes(options)) == expected


def test_workday_disability_form_declined_by_its_options() -> None:
    """Workday's CC-305: "Please check one of the boxes below:" above three check boxes."""
    b = book()
    f = field("Please check one of the boxes below:", "checkbox_group", WD_DISABILITY)
    answer = b.answer_for(f)
    assert answer is not None and answer.value == ["I do not want to answer"]
    # what the profile says wins; options that are no self-identification are left alone
    said = book(eeo={"disability_status": "No"}).answer_for(f)
    assert said is not None and choose_option(said.value[0], f.options)["text"] == WD_DISABILITY[1]  # type: ignore[index]
    other = field(
        "Please check one of the boxes below:",
        "checkbox_group",
        ["Email", "Phone", "I do not wish to be contacted"],
    )
    assert b.answer_for(other) is None


@pytest.mark.parametrize(
    ("question", "kind", "options"),
    [
        ("Gender", "select", ["Male", "Female", "Non-binary"]),  # nothing to decline with
        ("Gender", "text", []),
        ("Veteran Status", "radio", ["I am a veteran", "I am not a veteran"]),
        ("Gender", "checkbox", []),
    ],
)
def test_eeo_not_declined_without_a_decline_option(
    question: str, kind: str, options: list[str]
) -> None:
    assert book().answer_for(field(question, kind, options, required=False)) is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # Greenhouse job boards
        (
            [
                "High School",
                "Associate's Degree",
                "Bachelor's Degree",
                "Master's Degree",
                "Master of Business Administration (M.B.A.)",
                "Juris Doctor (J.D.)",
                "Doctor of Medicine (M.D.)",
                "Doctor of Philosophy (Ph.D.)",
                "Engineer's Degree",
                "Other",
            ],
            "Bachelor's Degree",
        ),
        # Workday
        (
            [
                "High School Diploma/GED",
                "Associate's Degree",
                "Bachelor's Degree",
                "Master's Degree",
                "Doctorate",
                "Other",
            ],
            "Bachelor's Degree",
        ),
    ],
)
def test_replica_degree(options: list[str], expected: str) -> None:
    b = book()
    assert chosen(field("Degree", "select", options), b) == expected
    answer = b.answer_for(field("Degree", "combobox"))
    assert answer is not None and answer.value == "Bachelor of Science"
    assert answer.alternatives[:1] == ["Bachelor's Degree"]
    # typing "Bachelor of Science" into the filterable dropdown matches nothing
    assert includes(options)("Bachelor of Science") == []
    assert typed_pick(answer, includes(options)) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Master of Science", "Master's Degree"),
        ("MBA", "Master of Business Administration (M.B.A.)"),
        ("PhD in Physics", "Doctor of Philosophy (Ph.D.)"),
        ("Associate of Arts", "Associate's Degree"),
        ("Doctorate", None),  # three doctorates, none plainly so
        ("Same as above", None),  # "as" is no associate degree
    ],
)
def test_degree_level_among_several_of_one_level(answer: str, expected: str | None) -> None:
    options = opts(
        "Associate's Degree",
        "Bachelor's Degree",
        "Master's Degree",
        "Master of Business Administration (M.B.A.)",
        "Juris Doctor (J.D.)",
        "Doctor of Medicine (M.D.)",
        "Doctor of Philosophy (Ph.D.)",
    )
    option = choose_option(answer, options)
    assert (option["text"] if option else None) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("San Francisco, CA", "San Francisco, California, United States"),
        ("San Francisco, California", "San Francisco, California, United States"),
        ("San Francisco, CA, United States", "San Francisco, California, United States"),
        ("San Francisco, TX", None),  # no San Francisco in Texas
        ("San Francisco", None),  # three of them: which one?
        ("London, United Kingdom", "London, England, United Kingdom"),
        ("Berlin, Germany", "Berlin, Berlin, Germany"),
        ("Yes, I am", None),
    ],
)
def test_choose_place_by_city_and_state(answer: str, expected: str | None) -> None:
    option = choose_option(answer, opts(*PLACES))
    assert (option["text"] if option else None) == expected


def test_choose_place_of_the_city_alone() -> None:
    assert choose_option("San Francisco, CA", opts("San Diego", "San Francisco"))["text"] == (  # type: ignore[index]
        "San Francisco"
    )
    assert (
        choose_option("Paris, France", opts("Paris, TX", "Paris, Île-de-France, France"))[  # type: ignore[index]
            "text"
        ]
        == "Paris, Île-de-France, France"
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("City", "combobox"),  # SmartRecruiters
        ("Location (City)", "combobox"),  # Greenhouse job boards
        ("Location", "combobox"),  # Ashby
        ("Current location", "text"),  # Lever's role-less typeahead
        ("Location (City)", "text"),  # Greenhouse embed's jQuery-UI autocomplete
    ],
)
def test_replica_city_typeahead(question: str, kind: str) -> None:
    answer = book().answer_for(field(question, kind))
    assert answer is not None
    assert (answer.value, answer.alternatives) == (
        "San Francisco, CA",
        ["San Francisco, California", "San Francisco"],
    )
    assert typed_pick(answer, words_start(PLACES)) == "San Francisco, California, United States"


def test_city_text_field_is_the_city() -> None:
    """iCIMS and Workday ask for the city in a plain text box."""
    b = book()
    assert chosen(field("City"), b) == "San Francisco"
    assert (
        chosen(
            field("State/Province", "select", ["-- Make a Selection --", "California", "New York"]),
            b,
        )
        == "California"
    )


@pytest.mark.parametrize(
    ("employer", "history", "question", "kind", "options", "expected"),
    [
        (
            "Contoso",
            None,
            "Have you ever worked for Contoso before?",
            "select",
            ["--", "Yes", "No"],
            "No",
        ),
        ("Tailspin", None, "Have you previously worked for Tailspin? *", "radio", YES_NO, "No"),
        (
            "Proseware",
            None,
            "Have you previously been employed by Proseware?",
            "select",
            ["-- Make a Selection --", "Yes", "No"],
            "No",
        ),
        ("Contoso", None, "Have you ever been an employee of Contoso?", "radio", YES_NO, "No"),
        (
            "Contoso",
            [{"company": "Contoso Ltd", "title": "Engineer", "end_date": "2020-01"}],
            "Have you ever worked for Contoso before?",
            "select",
            ["--", "Yes", "No"],
            "Yes",
        ),
        (
            "Tailspin",
            [{"company": "Tailspin", "title": "Engineer"}],
            "Have you previously worked for Tailspin?",
            "radio",
            YES_NO,
            "Yes",
        ),
    ],
)
def test_replica_previous_employment(
    employer: str,
    history: list[dict[str, Any]] | None,
    question: str,
    kind: str,
    options: list[str],
    expected: str,
) -> None:
    b = book(employer=employer, work_history=history)
    assert chosen(field(question, kind, options), b) == expected


def test_previous_employment_as_a_toggle_and_without_the_employer() -> None:
    toggle = book(employer="Contoso").answer_for(
        field("Have you ever worked for Contoso before?", "checkbox")
    )
    assert toggle is not None and toggle.value == "No"
    # the employer not known: Contoso is no "this company"
    assert (
        book().answer_for(field("Have you ever worked for Contoso before?", "select", YES_NO))
        is None
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("LinkedIn URL", "https://www.linkedin.com/in/ada-lovelace"),
        ("GitHub URL", None),
        ("Portfolio URL", "https://ada-lovelace.dev"),
        ("Other website", None),
        ("Website", "https://ada-lovelace.dev"),  # Greenhouse's one website question
        ("Additional website", None),
    ],
)
def test_replica_links(question: str, expected: str | None) -> None:
    assert chosen(field(question, required=False), book()) == expected


LEVER_SKILLS = ["Python", "Go", "PostgreSQL", "Kubernetes"]


@pytest.mark.parametrize(
    ("question", "options", "expected"),
    [
        ("Which of these have you used in production?", LEVER_SKILLS, ["Python", "PostgreSQL"]),
        ("Which of these tools do you know?", LEVER_SKILLS, ["Python", "PostgreSQL"]),
        ("Which of these have you never used?", LEVER_SKILLS, None),
        ("Which of these have you used in production?", ["Go", "Kubernetes"], None),
        ("Which offices could you work from?", ["Python", "London"], None),
    ],
)
def test_skills_checkboxes(question: str, options: list[str], expected: list[str] | None) -> None:
    answer = book().answer_for(field(question, "checkbox_group", options, required=False))
    assert (answer.value if answer else None) == expected


def test_workday_phone() -> None:
    b = book()
    assert chosen(field("Phone Device Type", "select", ["Home", "Mobile", "Work"]), b) == "Mobile"
    for kind in ("combobox", "text"):  # a prompt searching the server as typed
        answer = b.answer_for(field("Country Phone Code", kind))
        assert answer is not None
        assert typed_pick(answer, words_start(PHONE_CODES)) == "United States of America (+1)"


def test_workday_work_experience_entry() -> None:
    b = book()
    entry = {"group_label": "Work Experience 1"}
    assert chosen(field("Job Title", **entry), b) == "Senior Software Engineer"
    assert chosen(field("Company", **entry), b) == "Analytical Engines Ltd"
    # where that job was, not where the applicant lives
    assert b.answer_for(field("Location", required=False, **entry)) is None
    assert b.answer_for(field("Role Description", "textarea", required=False, **entry)) is None
    # the "From" date group of the entry
    start = b.answer_for(field("From", section="Work Experience 1"))
    assert start is not None and start.date == dt.date(2019, 3, 1)
    # a second job the profile does not have
    assert b.answer_for(field("Job Title", group_label="Work Experience 2")) is None
    education = {"group_label": "Education 1"}
    assert chosen(field("School or University", **education), b) == "University of London"
    assert chosen(field("Field of Study", **education), b) == "Mathematics"
    assert (
        chosen(
            field(
                "Degree",
                "select",
                ["High School Diploma/GED", "Bachelor's Degree", "Master's Degree"],
                **education,
            ),
            b,
        )
        == "Bachelor's Degree"
    )
    # outside an entry, as before
    assert chosen(field("Location", required=False), b) == "San Francisco, CA"


def test_workday_other_fields() -> None:
    b = book(SAMPLE_QA_ANSWERS, employer="Tailspin")
    assert chosen(field("How Did You Hear About Us?"), b) == "LinkedIn"
    assert chosen(field("Name"), b) == "Ada Lovelace"
    assert b.answer_for(field("Employee ID (if applicable)", required=False)) is None
    assert b.answer_for(field("Middle Name", required=False)) is None


def test_make_a_selection_is_a_placeholder() -> None:
    f = field("Phone Type", "select", ["-- Make a Selection --", "Mobile", "Home", "Work"])
    f.options[0]["value"] = ""
    assert [o["text"] for o in f.real_options] == ["Mobile", "Home", "Work"]


def test_unnumbered_section_heading_is_no_entry() -> None:
    """Only a numbered heading makes an entry: questions after an "Education" heading may
    be the applicant's own."""
    b = book()
    assert chosen(field("Location", required=False, section="Education"), b) == (
        "San Francisco, CA"
    )
    assert b.answer_for(field("Location", required=False, section="Education 1")) is None
    assert chosen(field("Degree", "select", ["Bachelor's Degree"], section="Education"), b) == (
        "Bachelor's Degree"
    )
