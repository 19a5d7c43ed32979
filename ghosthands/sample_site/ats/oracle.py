"""A filler that knows each replica: every selector, widget and right answer.

It proves each replica can be completed (a perfect score from a browser), checks that
leaving a required answer empty sends nothing, and is the bench's baseline (the floor
for any automation of these forms). It is not the product: GhostHands must get there
without knowing any of this.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from ghosthands.sample_site.ats.model import PROJECT_ANSWER, why_answer
from ghosthands.sample_site.ats.site import RESUME_NAME, ServedReplicas
from ghosthands.sample_site.profile import sample_resume_pdf

LINKEDIN = "https://www.linkedin.com/in/ada-lovelace"
WEBSITE = "https://ada-lovelace.dev"
EMAIL = "ada.lovelace@example.com"
PHONE = "+1 415 555 0132"
TIMEOUT = 10_000

Oracle = Callable[[Any, ServedReplicas, str | None], Awaitable[None]]


def resume_file() -> dict[str, Any]:
    return {"name": RESUME_NAME, "mimeType": "application/pdf", "buffer": sample_resume_pdf()}


class _Skipping:
    """Fills everything except the one answer named ``skip``."""

    def __init__(self, skip: str | None) -> None:
        self.skip = skip

    def wants(self, key: str) -> bool:
        return key != self.skip


# -- greenhouse ------------------------------------------------------------------------


async def _react_select(frame: Any, key: str, typed: str, option: str) -> None:
    field = frame.locator(f"[id='{key}']")
    await field.click()
    await field.fill(typed)
    choice = frame.locator(f"[id='react-select-{key}-listbox'] [role=option]").filter(
        has_text=re.compile("^" + re.escape(option) + "$")
    )
    await choice.click(timeout=TIMEOUT)


async def greenhouse(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.greenhouse import BOARD_COMPANY, GREENHOUSE

    s = _Skipping(skip)
    await page.goto(served.url(GREENHOUSE.start_path))
    texts = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": EMAIL,
        "phone": PHONE,
        "question_30001001": LINKEDIN,
        "question_30001002": WEBSITE,
        "question_30001005": "2025-09-01",
        "question_30001006": why_answer(BOARD_COMPANY),
    }
    for key, value in texts.items():
        if s.wants(key):
            await page.locator(f"[id='{key}']").fill(value)
    selects = {
        "country": ("United", "United States +1"),
        "candidate-location": ("San Francisco", "San Francisco, California, United States"),
        "question_30001003": ("Y", "Yes"),
        "question_30001004": ("N", "No"),
        "question_30001007": ("Link", "LinkedIn"),
        "school--0": ("University of London", "University of London"),
        "degree--0": ("Bachelor", "Bachelor's Degree"),
        "discipline--0": ("Math", "Mathematics"),
        "gender": ("Decline", "Decline To Self Identify"),
        "hispanic_ethnicity": ("Decline", "Decline To Self Identify"),
        "veteran_status": ("wish", "I don't wish to answer"),
        "disability_status": ("want", "I do not want to answer"),
    }
    for key, (typed, option) in selects.items():
        if s.wants(key):
            await _react_select(page, key, typed, option)
    if s.wants("resume"):
        await page.locator("#resume").set_input_files(resume_file())
    await page.locator("#submit-application").click()
    if skip is None:
        await page.wait_for_url("**/confirmation", timeout=TIMEOUT)


SOURCE_SELECT = (
    "job_application_answers_attributes_4_answer_selected_options_attributes_4_question_option_id"
)


async def greenhouse_embed(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.greenhouse import GREENHOUSE_EMBED

    s = _Skipping(skip)
    await page.goto(served.url(GREENHOUSE_EMBED.start_path))
    frame = page.frame_locator("#grnhse_iframe")
    texts = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": EMAIL,
        "phone": PHONE,
        "job_application_answers_attributes_0_text_value": LINKEDIN,
        "job_application_answers_attributes_3_text_value": PROJECT_ANSWER,
    }
    for key, value in texts.items():
        if s.wants(key):
            await frame.locator(f"#{key}").fill(value)
    if s.wants("location"):
        await frame.locator("#job_application_location").press_sequentially("San Francisco")
        await (
            frame.locator(".ui-menu-item-wrapper")
            .filter(has_text=re.compile("^San Francisco, California, United States$"))
            .click(timeout=TIMEOUT)
        )
    selects = {
        "job_application_answers_attributes_1_boolean_value": "Yes",
        "job_application_answers_attributes_2_boolean_value": "No",
        SOURCE_SELECT: "LinkedIn",
        "job_application_answers_attributes_5_boolean_value": "No",
        "job_application_gender": "Decline To Self Identify",
        "job_application_hispanic_ethnicity": "Decline To Self Identify",
        "job_application_veteran_status": "I don't wish to answer",
        "job_application_disability_status": "I don't wish to answer",
    }
    for key, label in selects.items():
        if s.wants(key):
            await frame.locator(f"#{key}").select_option(label=label)
    if s.wants("resume"):
        await frame.locator("#s3_upload_for_resume_file").set_input_files(resume_file())
        await frame.locator("#resume_chosen").filter(has_text=RESUME_NAME).wait_for(timeout=TIMEOUT)
    await frame.locator("#submit_app").click()
    if skip is None:
        await frame.locator("#application_confirmation").wait_for(timeout=TIMEOUT)


async def lever(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.lever import COMPANY, LEVER, field

    s = _Skipping(skip)
    await page.goto(served.url(LEVER.start_path))
    form = page.locator("#application-form")
    if s.wants("resume"):
        # First: the parse overwrites the contact fields when it comes back.
        await form.locator("#resume-upload-input").set_input_files(resume_file())
        await form.locator(".resume-upload-success").wait_for(timeout=TIMEOUT)
    texts = {
        "name": "Ada Lovelace",
        "email": EMAIL,
        "phone": PHONE,
        "org": "Analytical Engines Ltd",
        "urls[LinkedIn]": LINKEDIN,
        "urls[Portfolio]": WEBSITE,
        field(2): "2025-09-01",
        field(3): why_answer(COMPANY),
    }
    for name, value in texts.items():
        if s.wants(name):
            await form.locator(f'[name="{name}"]').fill(value)
    if s.wants("location"):
        await form.locator("#location-input").fill("")
        await form.locator("#location-input").press_sequentially("San Francisco")
        await (
            form.locator(".dropdown-location")
            .filter(has_text=re.compile("^San Francisco, California, United States$"))
            .click(timeout=TIMEOUT)
        )
    for name, value in ((field(0), "Yes"), (field(1), "No")):
        if s.wants(name):
            await form.locator(f'[name="{name}"][value="{value}"]').check()
    for value in ("Python", "PostgreSQL"):
        await form.locator(f'[name="{field(4)}"][value="{value}"]').check()
    for name in ("eeo[gender]", "eeo[race]", "eeo[veteran]"):
        await form.locator(f'[name="{name}"]').select_option(label="Decline to self-identify")
    await form.locator("#btn-submit").click()
    if skip is None:
        await page.wait_for_url("**/thanks", timeout=TIMEOUT)


async def _wd_select(page: Any, aid: str, option: str) -> None:
    await page.locator(f'button[data-automation-id="{aid}"]').first.click()
    await (
        page.locator("[data-automation-id=activeListContainer] [role=option]")
        .filter(has_text=re.compile("^" + re.escape(option) + "$"))
        .click(timeout=TIMEOUT)
    )


async def _wd_prompt(page: Any, aid: str, typed: str, *path: str) -> None:
    box = page.locator(f'[data-automation-id-prompt="{aid}"] [data-automation-id=searchBox]')
    if typed:
        await box.fill(typed)
        await box.press("Enter")
    else:
        await box.click()
    for step in path:
        await (
            page.locator("[data-automation-id=activeListContainer] [role=option]")
            .filter(has_text=re.compile("^" + re.escape(step) + "\\W*$"))
            .click(timeout=TIMEOUT)
        )


async def _wd_date(page: Any, aid: str, *parts: str) -> None:
    group = page.locator(f'[data-automation-id="formField-{aid}"] [role=spinbutton]')
    for i, part in enumerate(parts):
        await group.nth(i).fill(part)


async def _wd_next(page: Any) -> None:
    heading = await page.locator("h2.wd-page").text_content()
    await page.locator("[data-automation-id=pageFooterNextButton]").click()
    await page.locator("h2.wd-page").filter(has_not_text=heading or "").wait_for(timeout=TIMEOUT)


async def workday(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.workday import COMPANY, PASSWORD, USER, WORKDAY

    s = _Skipping(skip)
    await page.goto(served.url(WORKDAY.start_path))
    await page.locator("[data-automation-id=adventureButton]").click()
    await page.locator("[data-automation-id=applyManually]").click()
    await page.locator("[data-automation-id=email]").fill(USER)
    await page.locator("[data-automation-id=password]").fill(PASSWORD)
    await page.locator("[data-automation-id=signInSubmitButton]").click()
    # My Information
    await _wd_prompt(page, "sourcePrompt", "", "Job Board", "LinkedIn")
    await page.locator('[data-automation-id=previousWorker] input[value="false"]').check()
    texts = {
        "legalNameSection_firstName": "Ada",
        "legalNameSection_lastName": "Lovelace",
        "addressSection_city": "San Francisco",
        "addressSection_postalCode": "94107",
        "phone-number": "415-555-0132",
    }
    for aid, value in texts.items():
        await page.locator(f'[data-automation-id="{aid}"]').fill(value)
    await _wd_select(page, "addressSection_countryRegion", "California")
    await _wd_select(page, "phone-device-type", "Mobile")
    await _wd_prompt(
        page, "countryPhoneCode", "United States of America", "United States of America (+1)"
    )
    await _wd_next(page)
    # My Experience: the resume first, then correct what it filled in
    await page.locator("[data-automation-id=file-upload-input-ref]").set_input_files(resume_file())
    await (
        page.locator("[data-automation-id=file-upload-item]")
        .filter(has_text="Successfully Uploaded")
        .wait_for(timeout=TIMEOUT)
    )
    await page.locator("[data-automation-id=jobTitle]").fill("Senior Software Engineer")
    await page.locator("[data-automation-id=company]").fill("Analytical Engines Ltd")
    await _wd_date(page, "startDate", "03", "2019")
    await _wd_select(page, "degree", "Bachelor's Degree")
    await page.locator("[data-automation-id=linkedinQuestion]").fill(LINKEDIN)
    await _wd_next(page)
    # Application Questions
    await _wd_select(page, "primaryQuestionnaire-1", "Yes")
    await _wd_select(page, "primaryQuestionnaire-2", "No")
    await _wd_date(page, "primaryQuestionnaire-3", "09", "01", "2025")
    if s.wants("questionnaire.whyCompany"):
        await page.locator('[data-automation-id="primaryQuestionnaire-4"]').fill(
            why_answer(COMPANY)
        )
    await _wd_select(page, "primaryQuestionnaire-5", "Yes")
    if skip is not None:
        await page.locator("[data-automation-id=pageFooterNextButton]").click()
        await page.locator("[data-automation-id=errorBanner]").wait_for(timeout=TIMEOUT)
        return
    await _wd_next(page)
    # Voluntary Disclosures
    await _wd_select(page, "gender", "I do not wish to answer")
    await _wd_select(page, "hispanicOrLatino", "I do not wish to answer")
    await _wd_select(
        page, "ethnicityDropdown", "I do not wish to answer. (United States of America)"
    )
    await _wd_select(page, "veteranStatus", "I do not wish to self-identify")
    await page.locator("[data-automation-id=agreementCheckbox]").check()
    await _wd_next(page)
    # Self Identify
    await page.locator("[data-automation-id=name]").fill("Ada Lovelace")
    await (
        page.locator('[data-automation-id="formField-disabilityStatus"] label')
        .filter(has_text="I do not want to answer")
        .click()
    )
    await _wd_next(page)
    # Review
    await page.locator("[data-automation-id=pageFooterNextButton]").click()
    await page.locator("[data-automation-id=applicationSubmitted]").wait_for(timeout=TIMEOUT)


async def ashby(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats import ashby as a

    s = _Skipping(skip)
    await page.goto(served.url(a.ASHBY.start_path))
    texts = {
        "_systemfield_name": "Ada Lovelace",
        "_systemfield_email": EMAIL,
        a.PHONE: PHONE,
        a.LINKEDIN: LINKEDIN,
        a.START: "2025-09-01",
        a.WHY: why_answer(a.COMPANY),
        a.PROJECT: PROJECT_ANSWER,
    }
    for key, value in texts.items():
        if s.wants(key):
            await page.locator(f"[id='{key}']").fill(value)
    location = page.locator("#_systemfield_location")
    await location.press_sequentially("San Francisco")
    await (
        page.locator("[role=option]")
        .filter(has_text=re.compile("^San Francisco, California, United States$"))
        .click(timeout=TIMEOUT)
    )
    await page.locator("#_systemfield_resume").set_input_files(resume_file())
    for key, answer in ((a.AUTH, "Yes"), (a.SPONSOR, "No")):
        entry = page.locator(".ashby-application-form-field-entry").filter(
            has=page.locator(f"[id='{key}']")
        )
        await entry.get_by_role("button", name=answer, exact=True).click()
    for key, answer in (
        (a.HEARD, "LinkedIn"),
        ("_systemfield_eeoc_gender", "Decline to self-identify"),
        ("_systemfield_eeoc_race", "Decline to self-identify"),
        ("_systemfield_eeoc_veteran_status", "Decline to self-identify"),
    ):
        await page.locator(f'input[name="{key}"][value="{answer}"]').check()
    await page.locator(".ashby-application-form-submit-button").click()
    if skip is None:
        await page.locator("[data-testid=application-success]").wait_for(timeout=TIMEOUT)


async def smartrecruiters(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.smartrecruiters import SMARTRECRUITERS

    s = _Skipping(skip)
    await page.goto(served.url(SMARTRECRUITERS.start_path))
    texts = {
        "spl-input[name=firstName]": "Ada",
        "spl-input[name=lastName]": "Lovelace",
        "spl-input[name=email]": EMAIL,
        "spl-input[name=confirmEmail]": EMAIL,
        "spl-phone-field[name=phoneNumber]": "415 555 0132",
        "spl-input[name=linkedin]": LINKEDIN,
        "spl-input[name=q_7003]": "2025-09-01",
        "spl-textarea[name=q_7004]": PROJECT_ANSWER,
    }
    for host, value in texts.items():
        if s.wants(host):
            await page.locator(
                f"{host} input[type=text], {host} input[type=email], "
                f"{host} input[type=tel], {host} textarea"
            ).fill(value)
    await page.locator("spl-autocomplete[name=location] input").press_sequentially("San Francisco")
    await (
        page.locator("spl-autocomplete[name=location] [role=option]")
        .filter(has_text=re.compile("^San Francisco, California, United States$"))
        .click(timeout=TIMEOUT)
    )
    await page.locator("spl-dropzone input[type=file]").set_input_files(resume_file())
    await page.locator('spl-radio-group[name=q_7001] input[value="Yes"]').check()
    await page.locator('spl-radio-group[name=q_7002] input[value="No"]').check()
    await page.locator("spl-select[name=q_7005] button").click()
    await page.locator("spl-select[name=q_7005] [role=option]").filter(has_text="LinkedIn").click()
    await page.locator("#st-submit").click()
    if skip is None:
        await page.get_by_text("Thank you for applying!").wait_for(timeout=TIMEOUT)


async def icims(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats.icims import COMPANY, ICIMS, P

    s = _Skipping(skip)
    await page.goto(served.url(ICIMS.start_path))
    frame = page.frame_locator("#icims_content_iframe")
    await frame.locator(".iCIMS_ApplyOnlineButton").click()
    await frame.locator("#email").fill(EMAIL)
    await frame.locator("#privacyConsent").check()
    await frame.locator("#enterEmailSubmitButton").click()
    texts = {
        f"{P}FirstName": "Ada",
        f"{P}LastName": "Lovelace",
        f"{P}PhoneNumber": PHONE,
        f"{P}Addresses_City": "San Francisco",
        f"{P}Addresses_Zip": "94107",
        f"{P}LinkedInURL": LINKEDIN,
        "rcf3051": "09/01/2025",
        "rcf3052": why_answer(COMPANY),
    }
    for name, value in texts.items():
        if s.wants(name):
            await frame.locator(f'[name="{name}"]').fill(value)
    selects = {
        f"{P}PhoneType": "Mobile",
        f"{P}Addresses_State": "California",
        f"{P}Addresses_Country": "United States",
        "rcf3048": "Yes",
        "rcf3049": "No",
        "rcf3050": "No",
        "rcf3053": "Job Board - LinkedIn",
        f"{P}EEOGender": "I do not wish to self-identify",
        f"{P}EEORace": "I do not wish to self-identify",
        f"{P}EEOVeteran": "I do not wish to self-identify",
    }
    for name, label in selects.items():
        await frame.locator(f'[name="{name}"]').select_option(label=label)
    await frame.locator("#resume").set_input_files(resume_file())
    await frame.locator("#submitApplication").click()
    if skip is None:
        await frame.get_by_text("Thank you for applying!").wait_for(timeout=TIMEOUT)


# -- held out (HELD_OUT) ---------------------------------------------------------------


async def bamboohr(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats import bamboohr as b

    s = _Skipping(skip)
    await page.goto(served.url(b.BAMBOOHR.start_path))
    await page.locator("#apply-button").click()
    texts = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": EMAIL,
        "phone": PHONE,
        "city": "San Francisco",
        "zip": "94107",
        "dateAvailable": "09/01/2025",
        "desiredPay": "150000",
        "websiteUrl": WEBSITE,
        "linkedinUrl": LINKEDIN,
        "cq104": PROJECT_ANSWER,
    }
    for key, value in texts.items():
        if s.wants(key):
            await page.locator(f"#{key}").fill(value)
    selects = {
        "state": "California",
        "source": "LinkedIn",
        b.YEARS: "6-10 years",
        "gender": b.DECLINE,
        "ethnicity": b.DECLINE,
        "veteranStatus": b.DECLINE,
        "disability": b.DECLINE,
    }
    for key, option in selects.items():
        select = page.locator(f'.fab-Select[data-key="{key}"]')
        await select.locator(".fab-SelectToggle").click()
        await select.get_by_role("option", name=option, exact=True).click(timeout=TIMEOUT)
    await page.locator("#resume-input").set_input_files(resume_file())
    await page.locator("#resume-name").filter(has_text=RESUME_NAME).wait_for(timeout=TIMEOUT)
    await page.locator('input[name=cq101][value="Yes"]').check()
    await page.locator('input[name=cq102][value="Yes"]').check()
    await page.locator("#privacyAcknowledged").check()
    await page.locator("#submit-application").click()
    if skip is None:
        await page.locator("#submitted").wait_for(timeout=TIMEOUT)


async def teamtailor(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats import teamtailor as t

    s = _Skipping(skip)
    await page.goto(served.url(t.TEAMTAILOR.start_path))
    await page.locator("a[data-action=apply]").click()
    texts = {
        "candidate[first_name]": "Ada",
        "candidate[last_name]": "Lovelace",
        "candidate[email]": EMAIL,
        "candidate[phone]": PHONE,
        "candidate[linkedin_url]": LINKEDIN,
        t.answer(2, "date"): "2025-09-01",
        t.answer(3, "text"): why_answer(t.COMPANY),
        t.answer(5, "range"): "150000",
    }
    for name, value in texts.items():
        if s.wants(name):
            await page.locator(f'[name="{name}"]').fill(value)
    await page.locator('[name="candidate[resume]"]').set_input_files(resume_file())
    await page.locator(f'[name="{t.answer(0, "boolean")}"][value="true"]').check()
    await page.locator(f'[name="{t.answer(1, "boolean")}"][value="false"]').check()
    selects = {
        t.CHOICE: "LinkedIn",
        "candidate[eeo][gender]": t.PREFER_NOT,
        "candidate[eeo][race]": t.PREFER_NOT,
        "candidate[eeo][veteran]": t.PREFER_NOT,
        "candidate[eeo][disability]": t.PREFER_NOT,
    }
    for name, label in selects.items():
        await page.locator(f'select[name="{name}"]').select_option(label=label)
    await page.locator("#candidate_consent_given").check()
    await page.locator("#send-application").click()
    if skip is None:
        await page.get_by_text("Thanks for your application!").wait_for(timeout=TIMEOUT)


async def jobvite(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats import jobvite as j

    s = _Skipping(skip)
    await page.goto(served.url(j.JOBVITE.start_path))
    # The resume first: its parse fills the contact fields still empty (the city wrongly).
    await page.locator("#jv-resume-file").set_input_files(resume_file())
    await (
        page.locator("#jv-resume-status")
        .filter(has_text=f"{RESUME_NAME} uploaded")
        .wait_for(timeout=TIMEOUT)
    )
    texts = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": EMAIL,
        "city": "San Francisco",
        "postalCode": "94107",
        "linkedInUrl": LINKEDIN,
        "websiteUrl": WEBSITE,
        j.SALARY: "150000",
        j.PROJECT: PROJECT_ANSWER,
    }
    for key, value in texts.items():
        if s.wants(key):
            await page.locator(f'[data-key="{key}"]').fill(value)
    picker = page.locator("#jv-phone-country")
    await picker.locator(".jv-dropdown-toggle").click()
    await picker.locator(".jv-dropdown-search").fill("United States")
    await picker.get_by_role("option", name="United States (+1)", exact=True).click()
    await page.locator("#jv-phone").fill("415 555 0132")
    await page.locator("#jv-country").select_option("US")
    # The states come from the server once a country is chosen.
    await page.locator("#jv-state option[value=CA]").wait_for(state="attached", timeout=TIMEOUT)
    await page.locator("#jv-state").select_option("CA")
    await page.locator("#jv-sourceType").select_option("Social Media")
    await page.locator("#jv-source").select_option("LinkedIn")
    await page.locator('input[name="jv-q-qd1Yjfw5"][value="Yes"]').check()
    await page.locator("#jv-q-qe4Zkfw7").select_option("No")
    date = page.locator(f'[data-date="{j.START_DATE}"]')
    await date.get_by_label("Month").select_option(label="September")
    await date.get_by_label("Day").select_option(label="1")
    await date.get_by_label("Year").select_option(label="2025")
    await page.locator("#jv-q-qg2Bnfw9").select_option(label=j.RELOCATE_YES)
    for name in ("eeo-gender", "eeo-race", "eeo-disability"):
        await page.locator(f'input[name="{name}"][value="{j.DECLINE}"]').check()
    await page.locator("#jv-eeo-veteran").select_option(j.DECLINE)
    await page.locator("#jv-privacy").check()
    await page.locator("#jv-apply-submit").click()
    if skip is None:
        await page.wait_for_url("**/apply/confirmation", timeout=TIMEOUT)
        await page.locator("#jv-confirmation").wait_for(timeout=TIMEOUT)
    else:
        await page.locator("#jv-form-errors").wait_for(timeout=TIMEOUT)


async def personio(page: Any, served: ServedReplicas, skip: str | None = None) -> None:
    from ghosthands.sample_site.ats import personio as p

    s = _Skipping(skip)
    await page.goto(served.url(p.PERSONIO.start_path))
    await page.locator("#cookie-necessary").click()
    # Step 1: your details.
    for key, value in (("first_name", "Ada"), ("last_name", "Lovelace"), ("email", EMAIL)):
        if s.wants(key):
            await page.locator(f'[data-key="{key}"]').fill(value)
    await page.locator(".iti__selected-country").click()
    await page.locator(".iti__search-input").fill("United States")
    await page.locator("#iti-0__item-us").click()
    await page.locator("#phone").fill("415 555 0132")
    await page.locator("#upload-cv").set_input_files(resume_file())
    await (
        page.locator("[data-documents=cv] .ps-files li")
        .filter(has_text=RESUME_NAME)
        .wait_for(timeout=TIMEOUT)
    )
    await page.locator("#continue").click()
    await page.locator("[data-step='2']").wait_for(timeout=TIMEOUT)
    # Step 2: questions.
    texts = {
        "available_from": "01.09.2025",
        "salary_expectations": "150000",
        p.YEARS: "7",
        p.WHY: why_answer(p.COMPANY),
    }
    for key, value in texts.items():
        if s.wants(key):
            await page.locator(f'[data-key="{key}"]').fill(value)
    channel = page.locator("#recruiting_channel")
    await channel.click()
    await channel.fill("Link")
    await (
        page.locator("#recruiting_channel-listbox")
        .get_by_role("option", name="LinkedIn", exact=True)
        .click(timeout=TIMEOUT)
    )
    await page.locator("#education").click()
    await (
        page.locator("#education-listbox")
        .get_by_role("option", name="Bachelor's degree", exact=True)
        .click(timeout=TIMEOUT)
    )
    await page.locator(f'input[name="{p.RELOCATE}"][value="Yes"]').check()
    await page.locator(f'input[name="{p.PERMIT}"][value="Yes"]').check()
    await page.locator("#gender").select_option("undisclosed")
    await page.locator(f'input[name="{p.DISABILITY}"][value="{p.RATHER_NOT}"]').check()
    await page.locator("#privacy_policy_acceptance").check()
    await page.locator("#submit-application").click()
    if skip is None:
        await page.locator("#application-success").wait_for(timeout=TIMEOUT)
    else:
        await page.locator("[data-step='2'] [data-banner]").wait_for(timeout=TIMEOUT)


ORACLES: dict[str, Oracle] = {
    "greenhouse": greenhouse,
    "greenhouse_embed": greenhouse_embed,
    "lever": lever,
    "workday": workday,
    "ashby": ashby,
    "smartrecruiters": smartrecruiters,
    "icims": icims,
    "bamboohr": bamboohr,
    "teamtailor": teamtailor,
    "jobvite": jobvite,
    "personio": personio,
}

#: For each replica, a required answer the validation test leaves empty.
LEAVE_EMPTY: dict[str, str] = {
    "greenhouse": "question_30001006",
    "greenhouse_embed": "job_application_answers_attributes_3_text_value",
    "lever": "cards[c7e2a3f0-5b1d-4e8a-9f6c-2d4b8a1e7c35][field3]",
    "workday": "questionnaire.whyCompany",
    "ashby": "a9d3e7f1-4c2b-4a68-b1e5-8f6d2c9a3b71",
    "smartrecruiters": "spl-textarea[name=q_7004]",
    "icims": "rcf3052",
    "bamboohr": "cq104",
    "teamtailor": "candidate[answers_attributes][3][text]",
    "jobvite": "customField.qi8Drfw6",
    "personio": "custom_attribute_3318205",
}
