"""What to answer in a form field: the profile, the user's own answers, and matching.

Pure functions and data, no browser: the form engine asks :class:`AnswerBook` for the
answer to a :class:`FieldInfo` and :func:`choose_option` for the option of a choice
field that means the same as an answer. Matching is deterministic and deliberately
conservative: wording is normalised (case, accents, punctuation, camelCase, light
stemming) and compared by token overlap and sequence similarity, and anything that
scores below ``MATCH_THRESHOLD`` gets no answer at all. A wrong answer on someone's job
application is worse than an empty optional field or a clear "missing answer" error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

MATCH_THRESHOLD = 0.75

# -- the VALET profile (SPEC §4) --------------------------------------------------------


class Location(msgspec.Struct, forbid_unknown_fields=False):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None


class Education(msgspec.Struct, forbid_unknown_fields=False):
    school: str | None = None
    degree: str | None = None
    field_of_study: str | None = None
    graduation_year: int | str | None = None
    start_date: str | None = None
    end_date: str | None = None
    #: The spellings of ``POST /valet/apply`` (``ghosthands.api.schemas.Education``).
    institution: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        self.school = self.school or self.institution
        self.field_of_study = self.field_of_study or self.field


class WorkHistory(msgspec.Struct, forbid_unknown_fields=False):
    company: str | None = None
    title: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    current: bool | None = None
    description: str | None = None


class Profile(msgspec.Struct, forbid_unknown_fields=False):
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    linkedin_url: str | None = None
    portfolio_url: str | None = None
    location: Location = msgspec.field(default_factory=Location)
    work_authorization: str | None = None
    salary_expectation: str | int | float | None = None
    years_of_experience: int | float | None = None
    education: list[Education] = msgspec.field(default_factory=list)
    work_history: list[WorkHistory] = msgspec.field(default_factory=list)
    skills: list[str] = msgspec.field(default_factory=list)
    cover_letter: str | None = None


#: Other spellings VALET and older clients use for the same profile keys.
PROFILE_ALIASES = {
    "linkedin": "linkedin_url",
    "portfolio": "portfolio_url",
    "website": "portfolio_url",
    "phone_number": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
}


def decode_profile(raw: dict[str, Any]) -> Profile:
    data = {PROFILE_ALIASES.get(k, k): v for k, v in raw.items()}
    return msgspec.convert(data, Profile, strict=False)


# -- wording ----------------------------------------------------------------------------

_STOP = frozenset(
    "a an the of to in on at for and or your you are is do did does have has be will would "
    "can could this that these those with by as from about please what which how us our we "
    "i my me it if any".split()
    # Words that only point at the employer or the opening: "How did you hear about us?"
    # and "How did you hear about this job?" ask the same thing.
    + "job position role here opportunity".split()
)


def normalise(text: str) -> str:
    """Lower case, no accents, camelCase and snake_case split, punctuation to spaces."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text or "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("'", "")
    text = re.sub(r"[^a-z0-9+]+", " ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    return [t for t in normalise(text).split() if t not in _STOP]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    shorter = min(len(a), len(b))
    return shorter >= 5 and prefix >= max(5, shorter - 2)


def similarity(a: str, b: str) -> float:
    """0..1: the better of content-word overlap and character sequence similarity."""
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 1.0 if normalise(a) == normalise(b) and normalise(a) else 0.0
    matched_a = sum(1 for x in ta if any(_same_word(x, y) for y in tb))
    matched_b = sum(1 for y in tb if any(_same_word(x, y) for x in ta))
    overlap = (matched_a + matched_b) / (len(ta) + len(tb))
    ratio = difflib.SequenceMatcher(None, " ".join(ta), " ".join(tb)).ratio()
    return max(overlap, ratio)


# -- the fields the engine asks about -----------------------------------------------


@dataclass
class FieldInfo:
    """A form control as discovery described it (see ``discover.js``)."""

    gh_id: str
    kind: str  # text textarea select multiselect radio checkbox checkbox_group file combobox switch listbox date
    frame: int = 0
    tag: str = ""
    input_type: str = ""
    name: str = ""
    id_attr: str = ""
    autocomplete: str = ""
    labels: list[str] = field(default_factory=list)
    placeholder: str = ""
    title: str = ""
    nearby: str = ""
    group_label: str = ""
    required: bool = False
    disabled: bool = False
    readonly: bool = False
    value: str = ""
    checked: bool = False
    options: list[dict[str, Any]] = field(default_factory=list)
    accept: str = ""
    multiple: bool = False
    pattern: str = ""
    in_shadow: bool = False
    errors: list[str] = field(default_factory=list)
    invalid: bool = False
    describedby: str = ""

    @classmethod
    def from_js(cls, data: dict[str, Any], frame: int) -> FieldInfo:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(frame=frame, **known)

    @property
    def question(self) -> str:
        """The best human wording of what the field asks."""
        if self.kind in ("radio", "checkbox_group") and self.group_label:
            return self.group_label
        for text in (*self.labels, self.group_label, self.nearby, self.placeholder, self.title):
            if text:
                return text.rstrip(" *")
        return self.name_words

    @property
    def name_words(self) -> str:
        return normalise(self.name or self.id_attr)

    @property
    def real_options(self) -> list[dict[str, Any]]:
        """Options that are choices, not a "Select…" placeholder."""
        return [o for o in self.options if not _is_placeholder_option(o)]


def _is_placeholder_option(option: dict[str, Any]) -> bool:
    if option.get("disabled"):
        return True
    text = normalise(str(option.get("text", "")))
    if option.get("value", None) == "" and (
        not text or re.match(r"^(select|choose|please|pick|none selected|loading)", text)
    ):
        return True
    return text in ("", "select", "choose", "select one", "choose one", "please select")


@dataclass
class Answer:
    value: Any  # str, list[str] (several checkboxes) or bool (checkbox/switch)
    source: str  # "profile:first_name", "qa:<question>", "consent", "decline"
    #: Other ways to write the same value, tried when the page rejects the first one.
    alternatives: list[str] = field(default_factory=list)
    #: For dates: the ISO date, so the engine can write it in the field's format.
    date: dt.date | None = None


# -- rules: which profile slot a field asks for ---------------------------------------


@dataclass(frozen=True)
class _Slot:
    name: str
    autocomplete: tuple[str, ...] = ()
    label: str = ""  # regex on the normalised question
    field_name: str = ""  # regex on the normalised name/id
    exclude: str = ""  # regex that disqualifies the label match


_SLOTS: tuple[_Slot, ...] = (
    _Slot(
        "first_name",
        ("given-name",),
        r"\b(first|given|fore) ?name\b",
        r"^(first|given|f) ?name$|^fname$",
    ),
    _Slot(
        "last_name",
        ("family-name",),
        r"\b(last|family|sur) ?name\b|\bsurname\b",
        r"^(last|family|l) ?name$|^lname$|^surname$",
    ),
    _Slot(
        "email",
        ("email",),
        r"\be ?mail\b",
        r"^e ?mail( address)?$",
        r"\b(manager|reference|referr)",
    ),
    _Slot(
        "phone",
        ("tel", "tel-national"),
        r"\b(phone|mobile|telephone|cell)\b",
        r"^(phone|mobile|tel|telephone)( number)?$",
        r"\b(type|ext|extension|country code)\b",
    ),
    _Slot("linkedin", (), r"\blinked ?in\b", r"linked ?in"),
    _Slot(
        "portfolio",
        ("url",),
        r"\b(portfolio|personal (web ?site|site|url)|web ?site|blog)\b",
        r"^(portfolio|website|web site|personal url)$",
        r"\b(company|employer)\b",
    ),
    _Slot(
        "full_name",
        ("name",),
        r"^(full |legal |your )?name$|\bfull (legal )?name\b|\blegal name\b",
        r"^(full )?name$",
        r"\b(company|employer|school|reference|preferred|middle|nick)",
    ),
    _Slot(
        "location",
        (),
        r"^(current )?location\b|\bwhere are you (based|located)\b|\bcity,? state\b|\bcurrent location\b",
        r"^location$",
        r"\b(preferred|desired|relocat|office)",
    ),
    _Slot("city", ("address-level2",), r"\b(city|town)\b", r"^(city|town)$"),
    _Slot(
        "state",
        ("address-level1",),
        r"^(state|province|region|state province|state or province)$|\bstate ?/ ?province\b",
        r"^(state|province|region)$",
    ),
    _Slot(
        "country",
        ("country", "country-name"),
        r"\bcountry\b",
        r"^country( name)?$",
        r"\b(code|citizenship|authori)",
    ),
    _Slot(
        "zip",
        ("postal-code",),
        r"\b(zip|postal|post ?code)\b",
        r"^(zip|zip code|postal code|postcode|post code)$",
    ),
    _Slot(
        "work_authorization",
        (),
        r"\b(authori[sz]ed to work|work authori[sz]ation|legally (authori[sz]ed|eligible|permitted)|eligible to work|right to work)\b",
    ),
    _Slot("sponsorship", (), r"\bsponsor(ship)?\b"),
    _Slot(
        "salary",
        (),
        r"\b(salary|compensation|pay expectations?|desired pay|expected pay)\b",
        r"salary|compensation",
    ),
    _Slot(
        "years_experience",
        (),
        r"\byears\b.*\bexperience\b|\bexperience\b.*\byears\b|\bhow many years\b",
        r"years? (of )?experience|yoe",
    ),
    _Slot(
        "company",
        ("organization",),
        r"\b(current|most recent|latest|present) (company|employer)\b|^(company|employer)( name)?$|\bcurrent or most recent employer\b",
        r"^(current )?(company|employer)$",
    ),
    _Slot(
        "title",
        ("organization-title",),
        r"\b(current|most recent|latest) (job )?(title|role|position)\b|^(job )?title$",
        r"^(job|current) title$",
    ),
    _Slot(
        "school",
        (),
        r"\b(school|university|college|institution)\b",
        r"^(school|university|college)$",
    ),
    _Slot("degree", (), r"\bdegree\b|\bqualification\b", r"^degree$"),
    _Slot(
        "field_of_study",
        (),
        r"\b(field of study|major|discipline|area of study)\b",
        r"^(major|field of study)$",
    ),
    _Slot(
        "graduation_year",
        (),
        r"\bgraduation (year|date)\b|\byear of graduation\b",
        r"^grad(uation)? ?(year|date)$",
    ),
    _Slot("skills", (), r"\bskills\b", r"^skills$"),
    _Slot("cover_letter", (), r"\bcover letter\b", r"^cover ?letter$"),
)

_CONSENT = re.compile(
    r"\b(i (have read|agree|consent|certify|acknowledge|confirm|understand)|agree to|terms|privacy "
    r"(policy|notice)|accurate|true and complete)\b"
)
_EEO = re.compile(
    r"\b(gender|sex|race|ethnicity|hispanic|latino|veteran|disability|disabled|pronouns|"
    r"sexual orientation|transgender)\b"
)
_DECLINE = re.compile(
    r"\b(decline|prefer not|dont wish|do not wish|not wish to|choose not|rather not|not to "
    r"(answer|disclose|say|self identify))\b"
)

_YES = frozenset({"yes", "y", "true", "1", "on", "i am", "i do", "i will", "agree", "i agree"})
_NO = frozenset({"no", "n", "false", "0", "off", "i am not", "i do not", "i will not", "disagree"})


def yes_no(value: Any) -> bool | None:
    """True / False for a yes-ish / no-ish answer, else None."""
    if isinstance(value, bool):
        return value
    text = normalise(str(value))
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
#: Names of one country that must compare equal.
_COUNTRY_SYNONYMS = (
    {"us", "usa", "united states", "united states of america", "u s", "u s a", "america"},
    {"uk", "united kingdom", "great britain", "gb", "england"},
    {"de", "germany", "deutschland"},
    {"ca", "canada"},
)
_DEGREE_LEVELS = (
    ("doctorate", r"\b(phd|ph d|doctor(ate|al)?|dphil|md|jd)\b"),
    ("master", r"\b(master|masters|msc|ms|ma|mba|meng|m s|m a)\b"),
    ("bachelor", r"\b(bachelor|bachelors|bsc|bs|ba|beng|b s|b a|undergraduate)\b"),
    ("associate", r"\b(associate|associates|aa|as)\b"),
    ("high_school", r"\b(high school|secondary|ged|diploma)\b"),
)


def degree_level(text: str) -> str | None:
    norm = normalise(text)
    for level, pattern in _DEGREE_LEVELS:
        if re.search(pattern, norm):
            return level
    return None


def _aliases(text: str) -> set[str]:
    norm = normalise(text)
    names = {norm}
    for group in _COUNTRY_SYNONYMS:
        if norm in group:
            names |= group
    upper = text.strip().upper()
    if upper in US_STATES:
        names.add(normalise(US_STATES[upper]))
    for code, name in US_STATES.items():
        if norm == normalise(name):
            names.add(code.lower())
    return names


def _number_in_range(number: float, text: str) -> bool | None:
    """Whether ``number`` falls in an option like "3-5", "10+", "Less than 1 year"."""
    norm = normalise(text).replace("+", " plus")
    nums = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]
    if not nums:
        return None
    if re.search(r"\b(less than|under|fewer than|below)\b", norm):
        return number < nums[0]
    if re.search(
        r"\b(plus|more than|over|or more|above|at least)\b", norm
    ) or text.strip().endswith("+"):
        return (
            number >= nums[0]
            if "more than" not in norm and "over" not in norm
            else number > nums[0]
        )
    if len(nums) >= 2:
        return nums[0] <= number <= nums[1]
    return number == nums[0]


def choose_option(answer: Any, options: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The option of a choice field that means ``answer``, or None when none clearly does."""
    if not options:
        return None
    texts = [
        (o, normalise(str(o.get("text", ""))), normalise(str(o.get("value", "")))) for o in options
    ]
    wanted = str(answer)
    names = _aliases(wanted)
    # 1. the same words (or a known synonym: US / United States, CA / California)
    for option, text, value in texts:
        if text in names or (value and value in names):
            return option
    for option, text, _ in texts:
        if _aliases(text) & names:
            return option
    # 2. yes / no
    yn = yes_no(answer)
    if yn is not None:
        for option, text, value in texts:
            if yes_no(text) is yn or (not text and yes_no(value) is yn):
                return option
    # 3. a number inside a range ("7" -> "6-10")
    try:
        number = float(wanted.strip())
    except ValueError:
        number = None
    if number is not None:
        inside = [o for o, text, _ in texts if _number_in_range(number, str(o.get("text", "")))]
        if len(inside) == 1:
            return inside[0]
    # 4. the same degree level ("Bachelor of Science" -> "Bachelor's degree")
    level = degree_level(wanted)
    if level is not None:
        same = [o for o, text, _ in texts if degree_level(text) == level]
        if len(same) == 1:
            return same[0]
    # 5. one option contains the answer as whole words ("United States" in "United States of America")
    wanted_norm = normalise(wanted)
    if len(wanted_norm) >= 3:
        contains = [o for o, text, _ in texts if re.search(rf"\b{re.escape(wanted_norm)}\b", text)]
        if len(contains) == 1:
            return contains[0]
    # 6. similar wording, clearly better than the runner-up
    scored = sorted(
        ((similarity(wanted, str(o.get("text", ""))), i) for i, (o, _, _) in enumerate(texts)),
        reverse=True,
    )
    if scored and scored[0][0] >= MATCH_THRESHOLD:
        if len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.05:
            return texts[scored[0][1]][0]
    return None


def parse_date(value: Any) -> dt.date | None:
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def format_date(date: dt.date, hint: str) -> list[str]:
    """``date`` written the way a field's placeholder asks, best guess first."""
    formats = {
        "mm/dd/yyyy": "%m/%d/%Y",
        "dd/mm/yyyy": "%d/%m/%Y",
        "yyyy-mm-dd": "%Y-%m-%d",
        "dd.mm.yyyy": "%d.%m.%Y",
        "mm-dd-yyyy": "%m-%d-%Y",
    }
    norm = hint.strip().lower()
    order = [fmt for key, fmt in formats.items() if key in norm]
    order += [f for f in ("%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y") if f not in order]
    return [date.strftime(f) for f in order]


def phone_variants(phone: str) -> list[str]:
    """Ways to write a phone number, for fields that reject the first one."""
    digits = re.sub(r"\D", "", phone)
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    variants = [phone]
    if len(national) == 10:
        variants += [
            f"({national[:3]}) {national[3:6]}-{national[6:]}",
            f"{national[:3]}-{national[3:6]}-{national[6:]}",
            national,
        ]
    variants.append(("+" + digits) if phone.strip().startswith("+") else digits)
    seen: list[str] = []
    for v in variants:
        if v and v not in seen:
            seen.append(v)
    return seen


class AnswerBook:
    """Answers for one applicant: their own answers first, then the profile."""

    def __init__(
        self,
        profile: Profile,
        qa_answers: dict[str, Any] | None = None,
        *,
        accept_required_consents: bool = True,
        decline_required_eeo: bool = True,
    ) -> None:
        self.profile = profile
        self.qa = {k: v for k, v in (qa_answers or {}).items() if v is not None and str(v).strip()}
        self.accept_required_consents = accept_required_consents
        self.decline_required_eeo = decline_required_eeo

    # -- the user's own answers ------------------------------------------------------

    def match_question(self, question: str) -> tuple[str, Any] | None:
        """The (question, answer) of ``qa_answers`` that asks ``question``, if any clearly does."""
        if not question or not self.qa:
            return None
        scored = sorted(((similarity(question, q), q) for q in self.qa), reverse=True)
        best_score, best = scored[0]
        if best_score < MATCH_THRESHOLD:
            return None
        return best, self.qa[best]

    # -- the profile -------------------------------------------------------------------

    def slot_of(self, f: FieldInfo) -> str | None:
        """Which profile value ``f`` asks for, judged by autocomplete, then wording, then name."""
        tokens = f.autocomplete.split()
        for slot in _SLOTS:
            if any(t in slot.autocomplete for t in tokens):
                return slot.name
        if f.input_type == "email":
            return "email"
        if f.input_type == "tel":
            return "phone"
        question = normalise(f.question)
        for slot in _SLOTS:
            if slot.label and re.search(slot.label, question):
                if slot.exclude and re.search(slot.exclude, question):
                    continue
                return slot.name
        words = f.name_words
        for slot in _SLOTS:
            if slot.field_name and words and re.search(slot.field_name, words):
                return slot.name
        return None

    def profile_value(self, slot: str) -> Any:
        p = self.profile
        loc = p.location
        edu = p.education[0] if p.education else Education()
        job = p.work_history[0] if p.work_history else WorkHistory()
        if slot == "location":
            parts = [x for x in (loc.city, loc.state) if x]
            return ", ".join(parts) or None
        if slot == "work_authorization":
            return _work_authorised(p.work_authorization)
        if slot == "sponsorship":
            return _needs_sponsorship(p.work_authorization)
        values: dict[str, Any] = {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "full_name": f"{p.first_name} {p.last_name}".strip(),
            "email": p.email,
            "phone": p.phone,
            "linkedin": p.linkedin_url,
            "portfolio": p.portfolio_url,
            "city": loc.city,
            "state": loc.state,
            "country": loc.country,
            "zip": loc.zip,
            "salary": p.salary_expectation,
            "years_experience": p.years_of_experience,
            "company": job.company,
            "title": job.title,
            "school": edu.school,
            "degree": edu.degree,
            "field_of_study": edu.field_of_study,
            "graduation_year": edu.graduation_year or (edu.end_date or "")[:4] or None,
            "skills": ", ".join(p.skills) if p.skills else None,
            "cover_letter": p.cover_letter,
        }
        value = values.get(slot)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return None if value is None or value == "" else value

    # -- the one entry point -----------------------------------------------------------

    def answer_for(self, f: FieldInfo) -> Answer | None:
        """What to put in ``f``, or None to leave it alone."""
        if f.kind == "file":
            return None  # the resume is placed by the engine, not answered
        matched = self.match_question(f.question)
        if matched is not None:
            return self._shape(f, matched[1], f"qa:{matched[0]}")
        if f.kind == "checkbox_group" and normalise(f.question):
            chosen = self._skills_in(f.options)
            if chosen and re.search(
                r"\b(skills?|tools?|technolog|languages?|frameworks?)\b", normalise(f.question)
            ):
                return Answer(chosen, "profile:skills")
        slot = self.slot_of(f)
        if slot is not None:
            value = self.profile_value(slot)
            if value is not None:
                return self._shape(f, value, f"profile:{slot}")
        if f.kind == "checkbox" and f.required and self.accept_required_consents:
            if _CONSENT.search(normalise(f.question)):
                return Answer(True, "consent")
        if f.required and self.decline_required_eeo and _EEO.search(normalise(f.question)):
            for option in f.real_options:
                if _DECLINE.search(normalise(str(option.get("text", "")))):
                    return Answer(option.get("text", ""), "decline")
        return None

    def _skills_in(self, options: Iterable[dict[str, Any]]) -> list[str]:
        skills = {normalise(s) for s in self.profile.skills}
        return [str(o.get("text")) for o in options if normalise(str(o.get("text", ""))) in skills]

    def _shape(self, f: FieldInfo, value: Any, source: str) -> Answer:
        answer = Answer(value, source)
        if source == "profile:phone" or f.input_type == "tel":
            answer.alternatives = phone_variants(str(value))[1:]
        date = parse_date(value) if f.kind in ("date", "text") else None
        if date is not None and (
            f.kind == "date" or f.input_type == "date" or _looks_like_date_field(f)
        ):
            answer.date = date
        return answer


def _looks_like_date_field(f: FieldInfo) -> bool:
    hint = (f.placeholder + " " + f.question).lower()
    return bool(re.search(r"\b(mm|dd|yyyy)\b|date", hint))


def _work_authorised(text: str | None) -> str | None:
    if not text:
        return None
    norm = normalise(text)
    if yes_no(norm) is not None:
        return "Yes" if yes_no(norm) else "No"
    if re.search(r"\b(not authori[sz]ed|no work|unauthori[sz]ed)\b", norm):
        return "No"
    if re.search(
        r"\b(citizen|permanent resident|green card|authori[sz]ed|eligible|ead|h ?1 ?b|visa|opt)\b",
        norm,
    ):
        return "Yes"
    return None


def _needs_sponsorship(text: str | None) -> str | None:
    """Only when the profile says so plainly: a wrong answer here costs someone the job."""
    if not text:
        return None
    norm = normalise(text)
    if re.search(r"\b(requires?|needs?|will need) (visa )?sponsorship\b|\bh ?1 ?b\b", norm):
        return "Yes"
    if re.search(r"\b(citizen|permanent resident|green card|no sponsorship)\b", norm):
        return "No"
    return None
