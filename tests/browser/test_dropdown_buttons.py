"""Dropdown buttons as some ATS build them (BambooHR's ``fab-Select``): a button labelled
by both the question and its own current value, its listbox beside it, "required" shown
only by a ``*`` in the label, and the page's validation message appended to the field's
container rather than tied to the button by ARIA.

Discovery must read the question without the value ("State", not "State* -Select-"), see
that it is required, and tie a message in the container to the button.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from playwright.async_api import Page, async_playwright

from ghosthands.browser.answers import AnswerBook, Profile
from ghosthands.browser.forms import FormEngine
from ghosthands.sample_site import SAMPLE_PROFILE
from tests.browser.conftest import CHROMIUM

pytestmark = pytest.mark.anyio

PAGE = """
<form>
  <div class="fab-FormField"><span class="fab-Label" id="state-label">State<span>*</span></span>
    <div class="fab-Select">
      <button type="button" aria-haspopup="listbox" aria-labelledby="state-label state-value">
        <span id="state-value">-Select-</span></button>
      <ul role="listbox" aria-labelledby="state-label" hidden>
        <li role="option" data-value="CA">California</li>
        <li role="option" data-value="NY">New York</li>
      </ul></div></div>
  <div class="fab-FormField"><span class="fab-Label" id="pets-label">Favourite pet</span>
    <div class="fab-Select">
      <button type="button" aria-haspopup="listbox" aria-labelledby="pets-label pets-value">
        <span id="pets-value">Cats</span></button>
      <ul role="listbox" hidden><li role="option">Cats</li><li role="option">Dogs</li></ul>
    </div></div>
  <button type="submit">Submit</button>
</form>
<script>
  document.querySelector('form').addEventListener('submit', (e) => {
    e.preventDefault();
    const field = document.querySelector('.fab-FormField');
    const note = document.createElement('div');
    note.className = 'fab-FormNote--error'; note.textContent = 'This field is required.';
    field.appendChild(note);
  });
</script>
"""


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.set_content(PAGE)
            yield page
        finally:
            await browser.close()


async def _count(n: int = 1) -> None:
    return None


async def test_a_dropdown_button_is_read_without_its_value_and_flagged_by_its_container(
    page: Page,
) -> None:
    book = AnswerBook(msgspec.convert(SAMPLE_PROFILE, Profile), {})
    engine = FormEngine(page, book, resume=None, count_action=_count, settle_seconds=2)
    try:
        fields = {f.question: f for f in await engine.discover()}
        assert set(fields) >= {"State", "Favourite pet"}, list(fields)
        assert fields["State"].required is True  # the "*" in the label, not the value
        assert fields["Favourite pet"].required is False
        assert fields["Favourite pet"].value == "Cats"  # the value is the value, not the label

        await page.click("button[type=submit]")
        errors = await engine.field_errors()
        assert errors == {"State": ["This field is required."]}
    finally:
        engine.close()
