"""What to answer in a form field: the profile, the user's own answers, and matching.

Pure functions and data, no browser: the form engine asks :class:`AnswerBook` for the
answer to a :class:`FieldInfo` and :func:`choose_option` for the option of a choice
field that means the same as an answer. Everything is deterministic and deliberately
conservative; a wrong answer on someone's job application is worse than an empty
optional field or a clear "missing answer" error.

Wording is normalised (case, accents, punctuation, camelCase) and read with the intents
of :mod:`ghosthands.browser.questions_table` ("When can you start?" and "Earliest start
date" are one question). The user's ``qa_answers`` come first, matched by the same
words, the same intent, one wording containing the other, or the same content words;
keys that fit equally well but disagree give no answer. Then the profile: its values
as they are, or derived where they follow plainly (work eligibility, sponsorship and
citizenship from ``work_authorization``; the phone's country code; whether the
applicant worked for this employer; age; a start date from a notice period).
Self-identification (EEO) is answered only from the profile's ``eeo``, or declined with
the page's own "decline to self-identify" option, required or not. A field of one entry
of a work history or education list ("Work Experience 1") is answered from that entry.
Options are chosen by the same words or synonyms, a place (the city, in the answer's
state), yes / no in the page's words, a phone code, a number range, a degree level, an
immigration status, or wording that scores at least ``MATCH_THRESHOLD`` and clearly above
the runner-up. Answers for typeaheads carry ``alternatives`` to type when the value
itself finds nothing ("Bachelor's Degree" for "Bachelor of Science").
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from ghosthands.browser.questions_table import (
    COUNTRIES,
    COUNTRY_BY_CODE,
    EEO_INTENTS,
    countries_in,
    country_of,
    dial_code_of,
    intent_of,
)

MATCH_THRESHOLD = 0.75

# -- the VALET profile (SPEC §4) --------------------------------------------------------
#
# Optional fields beyond SPEC §4 are read when a client sends them; other spellings of a
# field are accepted and folded into the canonical one in ``__post_init__``.


class Location(msgspec.Struct, forbid_unknown_fields=False):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None
    #: The street line ("1 Main St"); also spelled street / address_line1 / street_address.
    address: str | None = None
    address_line2: str | None = None
    street: str | None = None
    address_line1: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    zip_code: str | None = None
    province: str | None = None

    def __post_init__(self) -> None:
        self.address = self.address or self.street or self.address_line1 or self.street_address
        self.zip = self.zip or self.postal_code or self.zip_code
        self.state = self.state or self.province


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


class EEO(msgspec.Struct, forbid_unknown_fields=False):
    """Voluntary self-identification. Nothing here is ever guessed: absent means unanswered."""

    gender: str | None = None
    race: str | None = None
    hispanic_latino: str | bool | None = None
    veteran_status: str | bool | None = None
    disability_status: str | bool | None = None
    sexual_orientation: str | None = None
    transgender: str | bool | None = None
    pronouns: str | None = None
    ethnicity: str | None = None
    hispanic: str | bool | None = None
    hispanic_or_latino: str | bool | None = None
    is_hispanic_latino: str | bool | None = None
    veteran: str | bool | None = None
    disability: str | bool | None = None

    def __post_init__(self) -> None:
        self.race = self.race or self.ethnicity
        for alias in (self.hispanic, self.hispanic_or_latino, self.is_hispanic_latino):
            if self.hispanic_latino is None:
                self.hispanic_latino = alias
        if self.veteran_status is None:
            self.veteran_status = self.veteran
        if self.disability_status is None:
            self.disability_status = self.disability


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
    # -- optional, beyond SPEC §4 --
    github_url: str | None = None
    preferred_name: str | None = None
    middle_name: str | None = None
    pronouns: str | None = None
    #: "Mobile" is assumed when a phone is given and this is not.
    phone_type: str | None = None
    #: "2025-09-01", "Immediately", "2 weeks".
    available_start_date: str | None = None
    #: "2 weeks", "1 month", "Immediately".
    notice_period: str | int | None = None
    date_of_birth: str | None = None
    over_18: bool | None = None
    #: Country of citizenship, when the client says it apart from work_authorization.
    citizenship: str | None = None
    languages: list[str] = msgspec.field(default_factory=list)
    address: str | None = None
    eeo: EEO = msgspec.field(default_factory=EEO)
    # -- other spellings --
    github: str | None = None
    linkedin: str | None = None
    portfolio: str | None = None
    website: str | None = None
    website_url: str | None = None
    phone_number: str | None = None
    phone_device_type: str | None = None
    start_date: str | None = None
    earliest_start_date: str | None = None
    availability_date: str | None = None
    notice: str | int | None = None
    dob: str | None = None
    birth_date: str | None = None
    is_over_18: bool | None = None
    age_18_or_over: bool | None = None
    gender: str | None = None
    race: str | None = None
    veteran_status: str | bool | None = None
    disability_status: str | bool | None = None
    hispanic_latino: str | bool | None = None

    def __post_init__(self) -> None:
        self.github_url = self.github_url or self.github
        self.linkedin_url = self.linkedin_url or self.linkedin
        self.portfolio_url = (
            self.portfolio_url or self.portfolio or self.website or self.website_url
        )
        self.phone = self.phone or self.phone_number
        self.phone_type = self.phone_type or self.phone_device_type
        self.available_start_date = (
            self.available_start_date
            or self.start_date
            or self.earliest_start_date
            or self.availability_date
        )
        if self.notice_period is None:
            self.notice_period = self.notice
        self.date_of_birth = self.date_of_birth or self.dob or self.birth_date
        if self.over_18 is None:
            self.over_18 = self.is_over_18 if self.is_over_18 is not None else self.age_18_or_over
        self.pronouns = self.pronouns or self.eeo.pronouns
        # Self-identification sent at the top level instead of under "eeo".
        self.eeo.gender = self.eeo.gender or self.gender
        self.eeo.race = self.eeo.race or self.race
        for name in ("veteran_status", "disability_status", "hispanic_latino"):
            if getattr(self.eeo, name) is None:
                setattr(self.eeo, name, getattr(self, name))


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
    data: dict[str, Any] = {}
    for key, value in raw.items():
        key = PROFILE_ALIASES.get(key, key)
        key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()  # camelCase keys
        data.setdefault(key, value)
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
    #: The heading of the section the field sits in ("Work Experience 1" above the "From"
    #: date of that entry): a numbered entry of a work history or education list makes
    #: :meth:`AnswerBook.answer_for` answer from that entry.
    section: str = ""

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
        not text
        or re.match(r"^(select|choose|please|pick|none selected|loading|make a selection)", text)
    ):
        return True
    return text in (
        "",
        "select",
        "choose",
        "select one",
        "choose one",
        "please select",
        "make a selection",
        "select an option",
    )


@dataclass
class Answer:
    value: Any  # str, list[str] (several checkboxes) or bool (checkbox/switch)
    source: str  # "profile:first_name", "qa:<question>", "consent", "decline"
    #: Other ways to write the same value, tried when the page rejects the first one.
    alternatives: list[str] = field(default_factory=list)
    #: For dates: the ISO date, so the engine can write it in the field's format.
    date: dt.date | None = None


# -- rules: which profile slot a field asks for ---------------------------------------
#
# The wording of a question is read with the intents of ``questions_table`` (one table
# for the user's answers and the profile). These hints cover what the wording cannot:
# the ``autocomplete`` attribute and the field's name / id.


@dataclass(frozen=True)
class _Slot:
    name: str
    autocomplete: tuple[str, ...] = ()
    field_name: str = ""  # regex on the normalised name/id


_SLOTS: tuple[_Slot, ...] = (
    _Slot("first_name", ("given-name",), r"^(first|given|f) ?name$|^fname$"),
    _Slot("last_name", ("family-name",), r"^(last|family|l) ?name$|^lname$|^surname$"),
    _Slot("middle_name", ("additional-name",), r"^middle ?name$"),
    _Slot("preferred_name", ("nickname",), r"^preferred ?name$|^nick ?name$"),
    _Slot("email", ("email",), r"^e ?mail( address)?$"),
    _Slot("phone_country_code", ("tel-country-code",), r"^(phone )?country ?code$"),
    _Slot("phone", ("tel", "tel-national"), r"^(phone|mobile|tel|telephone)( number)?$"),
    _Slot("linkedin", (), r"linked ?in"),
    _Slot("github", (), r"^git ?hub( url)?$"),
    _Slot("portfolio", ("url",), r"^(portfolio|website|web site|personal url)$"),
    _Slot("full_name", ("name",), r"^(full )?name$"),
    _Slot("location", (), r"^location$"),
    _Slot("address", ("address-line1", "street-address"), r"^(street|address( ?line)? ?1)$"),
    _Slot("address_line2", ("address-line2",), r"^address( ?line)? ?2$"),
    _Slot("city", ("address-level2",), r"^(city|town)$"),
    _Slot("state", ("address-level1",), r"^(state|province|region)$"),
    _Slot("country", ("country", "country-name"), r"^country( name)?$"),
    _Slot("zip", ("postal-code",), r"^(zip|zip code|postal code|postcode|post code)$"),
    _Slot("salary", (), r"salary|compensation"),
    _Slot("years_experience", (), r"years? (of )?experience|yoe"),
    _Slot("company", ("organization",), r"^(current )?(company|employer)$"),
    _Slot("title", ("organization-title",), r"^(job|current) title$"),
    _Slot("school", (), r"^(school|university|college)$"),
    _Slot("degree", (), r"^degree$"),
    _Slot("field_of_study", (), r"^(major|field of study)$"),
    _Slot("graduation_year", (), r"^grad(uation)? ?(year|date)$"),
    _Slot("skills", (), r"^skills$"),
    _Slot("cover_letter", (), r"^cover ?letter$"),
    _Slot("gender", ("sex",), r"^(gender|sex)$"),
)

_CONSENT = re.compile(
    r"\b(i (have read|agree|consent|certify|acknowledge|confirm|understand)|agree to|terms|privacy "
    r"(policy|notice)|accurate|true and complete)\b"
)
_DECLINE = re.compile(
    r"\b(decline|prefer not|dont wish|do not wish|not wish to|choose not|rather not|not to "
    r"(answer|disclose|say|self identify)|dont want to (answer|say|disclose)|"
    r"do not want to (answer|say|disclose))\b"
)
#: Options that are no side of a yes / no question.
_NEITHER = re.compile(r"\b(not applicable|n a|other|none|unsure|not sure|dont know|maybe)\b")
_NEGATED = re.compile(
    r"\b(not|no|dont|do not|doesnt|does not|wont|will not|am not|havent|have not|never|"
    r"neither|nor|non|im not|isnt|arent)\b"
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


def leading_yes_no(value: Any) -> bool | None:
    """Like :func:`yes_no`, also for "Yes, I am authorized" / "No - I will not need it"."""
    answer = yes_no(value)
    if answer is not None:
        return answer
    match = re.match(
        r"\s*(yes|no)\b(?!\s+(preference|opinion|answer|response|thanks|comment))",
        str(value).lower(),
    )
    if match is None:
        return None
    return match.group(1) == "yes"


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
#: Values that mean the same on an option list ("Mobile" / "Cell", "Female" / "Woman").
_VALUE_SYNONYMS = (
    frozenset(
        {"mobile", "cell", "cellphone", "cell phone", "mobile phone", "cellular", "mobile cell"}
    ),
    frozenset({"female", "woman", "women", "f"}),
    frozenset({"male", "man", "men", "m"}),
    frozenset({"non binary", "nonbinary"}),
    frozenset(
        {
            "immediately",
            "immediate",
            "asap",
            "as soon as possible",
            "right away",
            "now",
            "available immediately",
        }
    ),
)
#: ISO codes that are also US state codes stay out of country aliases ("IN" is Indiana),
#: except the ones that always were country aliases here.
_CODE_ALIASES = {c.code.lower() for c in COUNTRIES if c.code not in US_STATES} | {"de", "ca"}


def _country_names(c: Any) -> set[str]:
    names = {normalise(c.name), *c.aliases}
    if c.code.lower() in _CODE_ALIASES:
        names.add(c.code.lower())
    if c.code == "GB":
        names.add("gb")
    return names


_COUNTRY_SYNONYMS = tuple(frozenset(_country_names(c)) for c in COUNTRIES)
_DIAL = re.compile(r"\+\s*(\d{1,4})\b")
_DEGREE_LEVELS = (
    ("doctorate", r"\b(phd|ph d|doctor(ate|al)?|dphil|md|jd)\b"),
    ("master", r"\b(master|masters|msc|ms|ma|mba|meng|m s|m a)\b"),
    ("bachelor", r"\b(bachelor|bachelors|bsc|bs|ba|beng|b s|b a|undergraduate)\b"),
    # "as" alone, not the word in "Same as above"
    ("associate", r"\b(associate|associates|aa|aas)\b|^as$"),
    ("high_school", r"\b(high school|secondary|ged|diploma)\b"),
)


def degree_level(text: str) -> str | None:
    norm = normalise(text)
    for level, pattern in _DEGREE_LEVELS:
        if re.search(pattern, norm):
            return level
    return None


#: How option lists commonly name a degree level, most specific first: what to type into
#: a filterable dropdown where the profile's "Bachelor of Science" matches nothing.
_DEGREE_LABELS = {
    "doctorate": ("Doctorate", "Doctor"),
    "master": ("Master's Degree", "Master's", "Master"),
    "bachelor": ("Bachelor's Degree", "Bachelor's", "Bachelor"),
    "associate": ("Associate's Degree", "Associate's", "Associate"),
    "high_school": ("High School Diploma", "High School"),
}


#: Degrees with an option of their own beside the level's ("Master of Business
#: Administration (M.B.A.)" beside "Master's Degree").
_DEGREE_MARKERS = (
    ("mba", r"\b(mba|m b a|master of business administration)\b"),
    ("jd", r"\b(jd|j d|juris doctor)\b"),
    ("md", r"\b(md|m d|doctor of medicine)\b"),
    ("phd", r"\b(phd|ph d|dphil|doctor of philosophy)\b"),
)


def _degree_marker(norm: str) -> str | None:
    for marker, pattern in _DEGREE_MARKERS:
        if re.search(pattern, norm):
            return marker
    return None


def _by_degree(wanted: str, texts: list[tuple[dict[str, Any], str, str]]) -> dict[str, Any] | None:
    """The option of the answer's degree level: the only one, or of several ("Master's
    Degree", "Master of Business Administration (M.B.A.)") the one naming the same degree
    (an MBA), else the level's plain one."""
    level = degree_level(wanted)
    if level is None:
        return None
    same = [(o, text) for o, text, _ in texts if degree_level(text) == level]
    if len(same) <= 1:
        return same[0][0] if same else None
    marker = _degree_marker(normalise(wanted))
    if marker is not None:
        return _unique([o for o, text in same if _degree_marker(text) == marker])
    plain = {normalise(label) for label in _DEGREE_LABELS[level]}
    return _unique([o for o, text in same if _degree_marker(text) is None and text in plain])


def degree_alternatives(degree: str) -> list[str]:
    """Other ways to write ``degree``'s level ("Bachelor of Science" -> "Bachelor's Degree",
    "Bachelor's", "Bachelor"), for typing into a filterable dropdown."""
    labels = _DEGREE_LABELS.get(degree_level(degree) or "", ())
    return [label for label in labels if normalise(label) != normalise(degree)]


def _strip_dial(text: str) -> str:
    """ "United States (+1)" -> "United States"."""
    return " ".join(_DIAL.sub(" ", text).replace("(", " ").replace(")", " ").split())


def _aliases(text: str) -> set[str]:
    norm = normalise(text)
    names = {norm}
    bare = normalise(_strip_dial(text))
    if bare:
        names.add(bare)
    for group in (*_COUNTRY_SYNONYMS, *_VALUE_SYNONYMS):
        if norm in group or bare in group:
            names |= group
    upper = text.strip().upper()
    if upper in US_STATES:
        names.add(normalise(US_STATES[upper]))
    for code, name in US_STATES.items():
        if norm == normalise(name):
            names.add(code.lower())
    return names


#: Immigration statuses as option lists name them, most specific first.
_VISA_CATEGORIES = (
    ("h1b", r"\bh ?1 ?b\b"),
    ("opt", r"\b(stem )?opt\b|\bcpt\b"),
    ("f1", r"\bf ?1\b"),
    ("j1", r"\bj ?1\b"),
    ("l1", r"\bl ?1\b"),
    ("o1", r"\bo ?1\b"),
    ("tn", r"\btn\b"),
    ("e3", r"\be ?3\b"),
    ("ead", r"\bead\b|\bemployment authori[sz]ation (document|card)\b"),
    ("permanent_resident", r"\bgreen ?card\b|\bpermanent resident\b|\blpr\b"),
    ("citizen", r"\bcitizen\b"),
)


def visa_category(text: str) -> str | None:
    norm = normalise(text)
    if re.search(r"\bnon( \w+){0,2} citizen|\bnot a( \w+){0,2} citizen", norm):
        return "non_citizen"
    for name, pattern in _VISA_CATEGORIES:
        if re.search(pattern, norm):
            return name
    return None


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


def _unique(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    return found[0] if len(found) == 1 else None


def _by_polarity(want: bool, texts: list[tuple[dict[str, Any], str, str]]) -> dict[str, Any] | None:
    """The option that says yes (or no): "Yes, I am authorized", or of exactly two options
    the one that negates ("I am not a protected veteran") or the one that does not."""
    led = [o for o, text, _ in texts if leading_yes_no(o.get("text", "")) is want]
    if led:
        return _unique(led)
    sides = [
        (o, text) for o, text, _ in texts if not _DECLINE.search(text) and not _NEITHER.search(text)
    ]
    if len(sides) != 2:
        return None
    negated = [o for o, text in sides if _NEGATED.search(text)]
    plain = [o for o, text in sides if not _NEGATED.search(text)]
    if len(negated) != 1 or len(plain) != 1:
        return None
    return plain[0] if want else negated[0]


def _by_dial_code(
    answer: str, options: Sequence[dict[str, Any]]
) -> tuple[bool, dict[str, Any] | None]:
    """For phone country codes: (whether this applies, the option with the answer's "+N",
    and its country when several options share it, as "+1" does)."""
    wanted = _DIAL.search(answer)
    coded = [(o, _DIAL.search(f"{o.get('text', '')} {o.get('value', '')}")) for o in options]
    if wanted is None or not any(m for _, m in coded):
        return False, None
    same = [o for o, m in coded if m and m.group(1) == wanted.group(1)]
    if len(same) <= 1:
        return True, _unique(same)
    country = country_of(normalise(_strip_dial(answer)))
    if country is None:
        return True, None
    return True, _unique(
        [
            o
            for o in same
            if country_of(normalise(_strip_dial(str(o.get("text", ""))))) is country
            or normalise(str(o.get("value", ""))) == country.code.lower()
        ]
    )


@dataclass(frozen=True)
class _Place:
    """A place written "City, State, Country": each part normalised; states as US codes,
    countries as ISO codes, parts that are neither as they are ("duarte", "ontario")."""

    city: str
    states: frozenset[str]
    countries: frozenset[str]
    others: frozenset[str]


def _us_state(part: str, last: bool) -> str | None:
    """The US state code a normalised part names ("ca", "california"); a bare code in the
    last of several parts is read as a country ("..., CA" there is Canada) by the caller."""
    if not last and part.upper() in US_STATES:
        return part.upper()
    for code, name in US_STATES.items():
        if part == normalise(name):
            return code
    return None


def _place(text: str) -> _Place | None:
    parts = [normalise(p) for p in str(text).split(",")]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None if not parts else _Place(parts[0], frozenset(), frozenset(), frozenset())
    states: set[str] = set()
    countries: set[str] = set()
    others: set[str] = set()
    for i, part in enumerate(parts[1:], 1):
        code = _us_state(part, last=i == len(parts) - 1 and len(parts) > 2)
        country = None if code else country_of(part)
        if code:
            states.add(code)
        elif country is not None:
            countries.add(country.code)
        else:
            others.add(part)
    return _Place(parts[0], frozenset(states), frozenset(countries), frozenset(others))


def _by_place(answer: str, options: Sequence[dict[str, Any]]) -> tuple[bool, dict[str, Any] | None]:
    """For "City, State" / "City, Country" answers: (whether this applies, the option of
    that city that agrees with the state and country). "San Francisco, CA" picks "San
    Francisco, California, United States", not "South San Francisco, California, ..." nor
    "San Francisco de Macorís, Duarte, Dominican Republic"; an option of the city alone
    ("San Francisco") is taken when no option says more."""
    if "," not in answer:
        return False, None
    want = _place(answer)
    if want is None or want.others or not (want.states or want.countries):
        return False, None  # "Yes, I am authorized" is no place
    countries = want.countries | ({"US"} if want.states else frozenset())
    candidates: list[tuple[int, dict[str, Any]]] = []
    looks_like_places = False
    for option in options:
        text = str(option.get("text", ""))
        looks_like_places = looks_like_places or "," in text
        got = _place(text)
        if got is None or got.city != want.city:
            continue
        got_countries = got.countries | ({"US"} if got.states else frozenset())
        if want.states and got.states and not want.states & got.states:
            continue
        if countries and got_countries and not countries & got_countries:
            continue
        candidates.append((len(want.states & got.states) + len(countries & got_countries), option))
    if not candidates:
        return looks_like_places, None
    best = max(score for score, _ in candidates)
    return True, _unique([o for score, o in candidates if score == best])


def choose_option(answer: Any, options: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The option of a choice field that means ``answer``, or None when none clearly does."""
    if not options:
        return None
    texts = [
        (o, normalise(str(o.get("text", ""))), normalise(str(o.get("value", "")))) for o in options
    ]
    wanted = str(answer)
    names = _aliases(wanted)
    # 1. the same words (or a known synonym: US / United States, CA / California, Cell / Mobile)
    for option, text, value in texts:
        if text in names or (value and value in names):
            return option
    for option, _, _ in texts:
        if _aliases(str(option.get("text", ""))) & names:
            return option
    # 1b. a place: the city, in the answer's state / country
    applies, place = _by_place(wanted, options)
    if applies:
        return place
    # 2. "decline to answer" in the page's words
    if _DECLINE.search(normalise(wanted)):
        return _unique([o for o, text, _ in texts if _DECLINE.search(text)])
    # 3. yes / no, also "Yes, I am authorized" / "No, I will not require sponsorship"
    yn = leading_yes_no(answer)
    if yn is not None:
        for option, text, value in texts:
            if yes_no(text) is yn or (not text and yes_no(value) is yn):
                return option
        if not re.fullmatch(r"\s*\d+\s*", wanted):  # "1" may be a number of years
            return _by_polarity(yn, texts)
    # 4. a phone country code ("United States (+1)" -> "+1", "US +1", "United States (+1)")
    applies, by_dial = _by_dial_code(wanted, options)
    if applies:
        return by_dial
    # 5. a number inside a range ("7" -> "6-10")
    try:
        number = float(wanted.strip())
    except ValueError:
        number = None
    if number is not None:
        inside = [o for o, text, _ in texts if _number_in_range(number, str(o.get("text", "")))]
        if len(inside) == 1:
            return inside[0]
    # 6. the same degree level ("Bachelor of Science" -> "Bachelor's degree")
    if degree_level(wanted) is not None:
        by_degree = _by_degree(wanted, texts)
        if by_degree is not None:
            return by_degree
    # 7. the same immigration status ("Green card holder" -> "Permanent Resident")
    status = visa_category(wanted)
    if status is not None and any(visa_category(text) for _, text, _ in texts):
        return _unique([o for o, text, _ in texts if visa_category(text) == status])
    # 8. one option contains the answer as whole words ("United States" in "United States of America")
    wanted_norm = normalise(wanted)
    if len(wanted_norm) >= 3:
        contains = [o for o, text, _ in texts if re.search(rf"\b{re.escape(wanted_norm)}\b", text)]
        if len(contains) == 1:
            return contains[0]
    # 9. similar wording, clearly better than the runner-up
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
    for fmt in (
        "%Y-%m-%d",
        "%m/%d/%Y",
        "%Y/%m/%d",
        "%d %B %Y",
        "%B %d, %Y",
        "%B %d %Y",
        "%d %b %Y",
        "%b %d, %Y",
    ):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_month(value: Any) -> dt.date | None:
    """The first day of a month written without a day: "2019-03", "03/2019", "March 2019"."""
    text = str(value).strip()
    for fmt in ("%Y-%m", "%m/%Y", "%m-%Y", "%Y/%m", "%B %Y", "%b %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().replace(day=1)
        except ValueError:
            continue
    return None


_UNITS = {"day": 1, "week": 7, "month": 30}


def relative_date(value: Any, today: dt.date) -> dt.date | None:
    """The date "Immediately", "2 weeks", "in 1 month", "30 days" mean, counted from today."""
    norm = normalise(str(value))
    if norm in _VALUE_SYNONYMS[-1]:
        return today
    match = re.fullmatch(
        r"(in |within |after )?(\d{1,3}|one|two|three|four|six) (day|week|month)s?"
        r"( notice)?( from (now|today|offer))?",
        norm,
    )
    if match is None:
        return None
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6}
    count = int(words.get(match.group(2), match.group(2)))
    return today + dt.timedelta(days=count * _UNITS[match.group(3)])


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


# -- work eligibility: what the profile's work_authorization says plainly ---------------


@dataclass
class WorkStatus:
    """What a ``work_authorization`` text says, as far as it says it plainly.

    "US Citizen", "Green card holder", "H-1B, will need sponsorship", "F-1 OPT",
    "Authorized to work in the UK", "Not authorized", "Yes". ``None`` everywhere it
    does not say.
    """

    kind: str | None = None  # a visa_category: citizen, permanent_resident, h1b, opt...
    #: ISO codes of the countries the status is for.
    countries: set[str] = field(default_factory=set)
    authorized: bool | None = None
    sponsor_now: bool | None = None
    sponsor_future: bool | None = None


#: kind -> (authorized, needs sponsorship now, needs it in the future)
_STATUS_FACTS: dict[str, tuple[bool | None, bool | None, bool | None]] = {
    "citizen": (True, False, False),
    "permanent_resident": (True, False, False),
    "h1b": (True, True, True),  # changing employer means a new petition
    "opt": (True, False, True),  # OPT ends; staying on needs a visa
    "f1": (None, None, True),
    "j1": (None, None, None),
    "l1": (True, None, None),
    "o1": (True, None, None),
    "tn": (True, None, None),
    "e3": (True, None, None),
    "ead": (True, None, None),
}
#: Statuses that exist only in the United States.
_US_ONLY = frozenset({"h1b", "opt", "f1", "j1", "l1", "o1", "tn", "e3", "ead"})
_NO_SPONSOR = re.compile(
    r"\b(no|not|without|never|dont|doesnt|wont)( \w+){0,3} sponsor\w*|"
    r"\bsponsorship (is )?not (required|needed)\b"
)
_NEEDS_SPONSOR = re.compile(r"\b(requires?|requiring|needs?|needing)( \w+){0,3} sponsor\w*")
_NOT_AUTHORIZED = re.compile(
    r"\b(not|un) ?(authori[sz]ed|eligible|permitted)\b|"
    r"\bno (work |valid )?(authori[sz]ation|permit|visa|right to work)\b"
)
_AUTHORIZED = re.compile(
    r"\b(authori[sz]ed|eligible|permitted|entitled|right to work|work permit|work visa|"
    r"visa holder)\b"
)
_FUTURE = re.compile(r"\b(future|eventually|at any (point|time)|later|ever|going forward)\b")


def work_status(text: str | None, home: str | None = None) -> WorkStatus:
    """Read a work_authorization text; ``home`` is the ISO code of the applicant's country."""
    status = WorkStatus()
    if not text or not str(text).strip():
        return status
    norm = normalise(str(text))
    named = countries_in(norm)
    yn = yes_no(norm)
    if yn is not None:
        status.authorized = yn
        status.countries = {home} if home else set()
        return status
    kind = visa_category(norm)
    if kind == "non_citizen":
        kind = None
    if kind is None and re.search(
        r"\bpr\b|\bindefinite leave to remain\b|\bsettled status\b", norm
    ):
        kind = "permanent_resident"
    status.kind = kind
    if kind in _STATUS_FACTS:
        status.authorized, status.sponsor_now, status.sponsor_future = _STATUS_FACTS[kind]
    if _NO_SPONSOR.search(norm):
        status.sponsor_now = status.sponsor_future = False
    elif _NEEDS_SPONSOR.search(norm):
        status.sponsor_future = True
        status.sponsor_now = None if _FUTURE.search(norm) and "now" not in norm else True
    if _NOT_AUTHORIZED.search(norm):
        status.authorized = False
    elif status.authorized is None and _AUTHORIZED.search(norm):
        status.authorized = True
    if named:
        status.countries = named
    elif kind in _US_ONLY or re.search(r"\bgreen ?card\b", norm):
        status.countries = {"US"}
    elif home:
        status.countries = {home}
    return status


def _home_country(profile: Profile) -> str | None:
    country = country_of(normalise(profile.location.country or ""))
    return country.code if country else None


def _company_core(name: str) -> str:
    words = [
        w
        for w in normalise(name).split()
        if w
        not in {
            "inc",
            "llc",
            "ltd",
            "limited",
            "corp",
            "corporation",
            "co",
            "company",
            "gmbh",
            "plc",
            "ag",
            "sa",
            "bv",
            "the",
            "incorporated",
            "l l c",
        }
    ]
    return " ".join(words)


def _same_company(a: str, b: str) -> bool | None:
    """True: the same employer; False: plainly not; None: one name inside the other
    ("Meta" / "Meta Platforms", "Apple" / "Apple Leisure Group"), which cannot be told."""
    x, y = _company_core(a), _company_core(b)
    if not x or not y:
        return None
    if x == y:
        return True
    short, long = sorted((x, y), key=len)
    if re.search(rf"(?<![a-z0-9]){re.escape(short)}(?![a-z0-9])", long):
        return None
    return False


def _age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _looks_like_date_field(f: FieldInfo) -> bool:
    hint = (f.placeholder + " " + f.question).lower()
    return bool(re.search(r"\b(mm|dd|yyyy)\b|date", hint))


_YES_NO_QUESTION = re.compile(
    r"^(are|is|do|does|have|has|will|would|can|could|did|were|was|should|may)\b"
)


def _asks_yes_no(f: FieldInfo, question: str) -> bool:
    """Whether ``f`` wants a yes / no (by its options, its kind, or its wording)."""
    if f.kind in ("checkbox", "switch"):
        return True
    options = [
        str(o.get("text", ""))
        for o in f.real_options
        if not _DECLINE.search(normalise(str(o.get("text", ""))))
    ]
    if options:
        return all(leading_yes_no(o) is not None for o in options)
    return bool(_YES_NO_QUESTION.search(question))


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# -- the answer book ------------------------------------------------------------------


@dataclass(frozen=True)
class _QaKey:
    key: str
    norm: str
    intent: str | None
    value: Any
    content: int  # how many content words, for "contains" matches
    words: tuple[str, ...]  # the content words less fillers, for same-words matches
    countries: frozenset[str]


#: Words a rewording adds or drops without changing the question.
_FILLER = frozenset(
    "valid currently please kindly any ever also indicate specify provide enter select "
    "confirm tell share".split()
)


def _content_words(norm: str) -> tuple[str, ...]:
    return tuple(t for t in _tokens(norm) if t not in _FILLER)


def _same_words(a: Sequence[str], b: Sequence[str]) -> bool:
    return all(any(_same_word(x, y) for y in b) for x in a) and all(
        any(_same_word(x, y) for x in a) for y in b
    )


_TEXT_KINDS = ("text", "textarea")
#: "Do you have a LinkedIn profile? Please share it": a link is the answer.
_LINKS = frozenset({"linkedin", "github", "portfolio"})
_EEO_FIELDS = {
    "gender": "gender",
    "race": "race",
    "hispanic_latino": "hispanic_latino",
    "veteran": "veteran_status",
    "disability": "disability_status",
    "sexual_orientation": "sexual_orientation",
    "transgender": "transgender",
}
_DEGREE_RANK = {"high_school": 1, "associate": 2, "bachelor": 3, "master": 4, "doctorate": 5}
#: What to type into a self-identification typeahead whose options are not known yet, to
#: bring up its "decline" option ("Decline To Self Identify", "I don't wish to answer",
#: "I prefer not to say", "I do not want to answer").
#: Most telling first: an engine may type only the first few.
_DECLINE_TYPED = ("Decline", "answer", "prefer not", "wish", "self-identify")
#: Option lists that are a self-identification question whatever the question says
#: ("Please check one of the boxes below:" above Workday's disability form).
_EEO_BY_OPTIONS = (
    ("disability", re.compile(r"\b(disabilit(y|ies)|disabled)\b")),
    ("veteran", re.compile(r"\bveterans?\b")),
)
#: A question that asks which of the listed skills the applicant has.
_SKILLS_QUESTION = re.compile(
    r"\b(skills?|tools?|technolog\w*|languages?|frameworks?|librar(y|ies)|databases?)\b|"
    r"\b(have|do) you (ever )?(used|use|worked with|work with|know|experience with)\b|"
    r"\b(familiar|proficient|experienced|experience|comfortable) (with|in|using)\b|"
    r"\bused in production\b"
)
#: The label of one entry of a work history or education list ("Work Experience 1").
_WORK_ENTRY = re.compile(
    r"^(work|professional|employment|job|relevant) (experience|history)( (?P<n>\d{1,2}))?$|"
    r"^(experience|employment|employer|job|position) (?P<m>\d{1,2})$"
)
_EDUCATION_ENTRY = re.compile(
    r"^(education|education history|academic history)( (?P<n>\d{1,2}))?$|"
    r"^(school|degree) (?P<m>\d{1,2})$"
)
#: The slots a field of an entry answers from that entry; its other place fields (a
#: job's "Location") are the entry's, not the applicant's, and stay unanswered.
_ENTRY_PLACE_SLOTS = frozenset(
    {"location", "city", "state", "country", "zip", "address", "address_line2"}
)
_WORK_ENTRY_SLOTS = frozenset({"title", "company"}) | _ENTRY_PLACE_SLOTS
_EDUCATION_ENTRY_SLOTS = (
    frozenset({"school", "degree", "field_of_study", "graduation_year", "highest_education"})
    | _ENTRY_PLACE_SLOTS
)
_ENTRY_FROM = re.compile(r"^(from|start|start date|started|date from|from date|start month)$")
_ENTRY_TO = re.compile(r"^(to|end|end date|ended|until|date to|to date|end month)$")
_ENTRY_CURRENT = re.compile(
    r"\b(i )?current(ly)? (work|working|employed|study|studying) (here|there)\b|"
    r"^(current|current (job|role|position|employer))$|\bstill (work|working) (here|there)\b"
)
_ENTRY_DESCRIPTION = re.compile(
    r"\b(description|responsibilities|duties|achievements|summary|what did you do)\b"
)


def _contains(short: str, long: str) -> bool:
    return bool(re.search(rf"(?<![a-z0-9]){re.escape(short)}(?![a-z0-9])", long))


#: Words a phrase may meet at its edges and still be a whole phrase.
_EDGE = (
    _STOP
    | _FILLER
    | frozenset("many much long often describe explain list briefly total overall have".split())
)
_CLAUSE = re.compile(r"[,.;:?!()\[\]|/]+")


def _phrase_in(phrase: str, clause: str) -> bool:
    """``phrase`` is a whole phrase of ``clause``: not part of a longer noun phrase.

    "Experience with AWS" is in "Do you have experience with AWS in production?" but not
    in "...experience with AWS Lambda?"; "Driver's license" is not in "Commercial
    driver's license".
    """
    for match in re.finditer(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", clause):
        before, after = clause[: match.start()].split(), clause[match.end() :].split()
        if (not before or before[-1] in _EDGE) and (not after or after[0] in _EDGE):
            return True
    return False


class AnswerBook:
    """Answers for one applicant: their own answers first, then the profile.

    ``employer`` is the company the application is for (lets "Have you worked for Acme
    before?" be answered from the work history); ``today`` fixes the date "Immediately"
    or "2 weeks" mean, and the applicant's age.
    """

    def __init__(
        self,
        profile: Profile,
        qa_answers: dict[str, Any] | None = None,
        *,
        accept_required_consents: bool = True,
        decline_required_eeo: bool = True,
        employer: str | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.profile = profile
        self.qa = {k: v for k, v in (qa_answers or {}).items() if v is not None and str(v).strip()}
        self.accept_required_consents = accept_required_consents
        #: Decline self-identification the profile does not answer, where the page offers
        #: to (required or optional questions alike).
        self.decline_eeo = decline_required_eeo
        #: Answers given from outside the book (a model's, source "model:<alias>"), by
        #: the form engine's field key. The engine tries them before :meth:`answer_for`;
        #: they live here so a browser recovery does not ask again.
        self.supplied: dict[Any, Answer] = {}
        self.employer = employer.strip() if employer and employer.strip() else None
        self.today = today or dt.date.today()
        core = _company_core(self.employer or "")
        self._employer = core if len(core) >= 3 else ""
        self._keys: list[_QaKey] = []
        for key, value in self.qa.items():
            norm = self.normalise_question(key)
            self._keys.append(
                _QaKey(
                    key,
                    norm,
                    intent_of(norm),
                    value,
                    len(_tokens(norm)),
                    _content_words(norm),
                    frozenset(countries_in(norm)),
                )
            )

    # -- wording -----------------------------------------------------------------------

    def normalise_question(self, text: str) -> str:
        """:func:`normalise`, with the employer's name read as "this company"."""
        norm = normalise(text)
        if self._employer:
            norm = re.sub(
                rf"(?<![a-z0-9]){re.escape(self._employer)}s?(?![a-z0-9])", "this company", norm
            )
        return norm

    def intent(self, question: str) -> str | None:
        """The intent (``questions_table``) of a question, or None."""
        return intent_of(self.normalise_question(question))

    # -- the user's own answers ------------------------------------------------------

    def match_question(self, question: str) -> tuple[str, Any] | None:
        """The (question, answer) of ``qa_answers`` that asks ``question``, if one clearly does.

        In order: the same words; the same intent (``questions_table``: "When can you
        start?" and "Earliest start date"); one wording containing the other ("Salary
        expectations" in "What are your salary expectations for this role (USD)?"); the
        same content words. A key whose intent is known answers only questions of that
        intent; a key naming another country than the question does not answer it.
        Several keys that fit equally well but say different things: no answer.
        """
        if not question or not self._keys:
            return None
        norm = self.normalise_question(question)
        if not norm:
            return None
        same = [k for k in self._keys if k.norm == norm]
        if same:
            return self._agreed(same)
        # "...work in Canada?" is not answered by "...work in the US?".
        named = countries_in(norm)
        keys = [k for k in self._keys if not (named and k.countries and k.countries != named)]
        intent = intent_of(norm)
        if intent is not None:
            same = [k for k in keys if k.intent == intent]
            if same:
                return self._agreed(same)
        pool = [k for k in keys if k.intent is None]
        content = len(_tokens(norm))
        clauses = [self.normalise_question(c) for c in _CLAUSE.split(question)]
        inside = []
        for k in pool:
            if k.content >= 2 and any(_phrase_in(k.norm, c) for c in clauses):
                inside.append((k.content, k))
            elif content >= 2 and 2 * content >= k.content and _contains(norm, k.norm):
                # A short question inside a long key only when it is most of the key:
                # "Describe your experience" is not "Describe your experience leading...".
                inside.append((content, k))
        if inside:
            best = max(n for n, _ in inside)
            return self._agreed([k for n, k in inside if n == best])
        # The same content words in another order or form ("Do you have a valid driver's
        # license?" / "Driver's license: do you have one?"); one word apart is too far:
        # "...experience with AWS?" does not answer "...experience with Azure?".
        words = _content_words(norm)
        return self._agreed([k for k in pool if words and _same_words(words, k.words)])

    @staticmethod
    def _agreed(keys: list[_QaKey]) -> tuple[str, Any] | None:
        """The answer several matching keys give, if they all give the same one."""
        if len({normalise(str(k.value)) for k in keys}) != 1:
            return None
        return keys[0].key, keys[0].value

    # -- the profile -------------------------------------------------------------------

    def slot_of(self, f: FieldInfo) -> str | None:
        """What ``f`` asks for: by autocomplete, then its wording, then its input type and name."""
        tokens = f.autocomplete.split()
        for slot in _SLOTS:
            if any(t in slot.autocomplete for t in tokens):
                return slot.name
        intent = self.intent(f.question)
        if intent is not None:
            return intent
        question = normalise(f.question)
        someone_else = re.search(
            r"\b(manager|reference|referr\w*|emergency|supervisor)\b", question
        )
        if f.input_type == "email" and not someone_else:
            return "email"
        if f.input_type == "tel" and not someone_else:
            return "phone"
        words = f.name_words
        for slot in _SLOTS:
            if slot.field_name and words and re.search(slot.field_name, words):
                return slot.name
        return None

    def profile_value(self, slot: str) -> Any:
        """The profile's own value for ``slot``, when it has one as is."""
        p = self.profile
        loc = p.location
        edu = p.education[0] if p.education else Education()
        job = p.work_history[0] if p.work_history else WorkHistory()
        if slot == "location":
            parts = [x for x in (loc.city, loc.state) if x]
            return ", ".join(parts) or None
        values: dict[str, Any] = {
            "first_name": p.first_name,
            "last_name": p.last_name,
            "full_name": f"{p.first_name} {p.last_name}".strip(),
            "preferred_name": p.preferred_name,
            "middle_name": p.middle_name,
            "email": p.email,
            "phone": p.phone,
            "linkedin": p.linkedin_url,
            "github": p.github_url,
            "portfolio": p.portfolio_url,
            "address": loc.address or p.address,
            "address_line2": loc.address_line2,
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
            "languages": ", ".join(p.languages) if p.languages else None,
            "cover_letter": p.cover_letter,
            "pronouns": p.pronouns,
            "notice_period": p.notice_period,
        }
        value = values.get(slot)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return None if value is None or value == "" else value

    def profile_answer(self, slot: str, f: FieldInfo) -> Answer | None:
        """The profile's answer to ``f``, which asks for ``slot``: as is, or derived."""
        derive = getattr(self, f"_derive_{slot}", None)
        if derive is not None:
            answer: Answer | None = derive(f)
            return answer
        value = self.profile_value(slot)
        if value is None:
            return None
        if slot not in _LINKS and yes_no(value) is None and _asks_yes_no(f, normalise(f.question)):
            # "Do you have a Bachelor's degree in CS?" is not asking which degree.
            return None
        return self._shape(f, value, f"profile:{slot}", slot)

    # -- derived answers ----------------------------------------------------------------

    def _status(self) -> WorkStatus:
        return work_status(self.profile.work_authorization, _home_country(self.profile))

    def _status_fits(self, status: WorkStatus, question: str) -> bool:
        """A question that names countries is answered only for a status in all of them."""
        named = countries_in(question)
        return not named or (bool(status.countries) and named <= status.countries)

    @staticmethod
    def _yes_no(value: bool | None, source: str) -> Answer | None:
        return None if value is None else Answer("Yes" if value else "No", source)

    def _derive_work_authorization(self, f: FieldInfo) -> Answer | None:
        status, question = self._status(), self.normalise_question(f.question)
        if not self._status_fits(status, question):
            return None
        authorized = status.authorized
        if authorized and re.search(r"\bany (us |u s )?employer\b", question):
            # H-1B, L-1, TN, O-1, E-3 tie the applicant to one employer.
            if status.kind in ("h1b", "l1", "tn", "o1", "e3"):
                authorized = False
            elif status.kind not in ("citizen", "permanent_resident", "opt", "ead"):
                authorized = None
        return self._yes_no(authorized, "profile:work_authorization")

    def _sponsorship(self, status: WorkStatus, question: str) -> bool | None:
        if _FUTURE.search(question):
            if status.sponsor_now or status.sponsor_future:
                return True
            if status.sponsor_now is False and status.sponsor_future is False:
                return False
            return None
        if status.sponsor_now is not None and status.sponsor_now == status.sponsor_future:
            return status.sponsor_now
        return None

    def _derive_sponsorship(self, f: FieldInfo) -> Answer | None:
        status, question = self._status(), self.normalise_question(f.question)
        if not self._status_fits(status, question):
            return None
        return self._yes_no(self._sponsorship(status, question), "profile:sponsorship")

    def _derive_authorized_without_sponsorship(self, f: FieldInfo) -> Answer | None:
        status, question = self._status(), self.normalise_question(f.question)
        if not self._status_fits(status, question) or status.authorized is None:
            return None
        needs = self._sponsorship(status, question)
        if status.authorized is False or needs is True:
            value: bool | None = False
        elif needs is False:
            value = True
        else:
            value = None
        return self._yes_no(value, "derived:authorized_without_sponsorship")

    def _citizen_of(self, status: WorkStatus) -> set[str]:
        explicit = normalise(self.profile.citizenship or "")
        if explicit:
            country = country_of(explicit)
            return {country.code} if country else countries_in(explicit)
        return set(status.countries) if status.kind == "citizen" else set()

    def _derive_citizenship(self, f: FieldInfo) -> Answer | None:
        status, question = self._status(), self.normalise_question(f.question)
        citizen_of = self._citizen_of(status)
        if _asks_yes_no(f, question):
            named = countries_in(question)
            if len(named) != 1:
                return None
            if named <= citizen_of:
                return Answer("Yes", "derived:citizenship")
            if (
                re.search(r"\b(permanent resident|green card|lawful)\b", question)
                and status.kind == "permanent_resident"
                and named <= status.countries
            ):
                return Answer("Yes", "derived:citizenship")
            noncitizen = status.kind in _STATUS_FACTS and status.kind != "citizen"
            if noncitizen and named <= status.countries and not citizen_of:
                return Answer("No", "derived:citizenship")
            return None
        if re.search(r"\bstatus\b", question):
            return self._derive_visa_status(f)
        if len(citizen_of) == 1:
            return Answer(COUNTRY_BY_CODE[next(iter(citizen_of))].name, "derived:citizenship")
        return None

    _VISA_LABELS: ClassVar[dict[str, str]] = {
        "citizen": "Citizen",
        "permanent_resident": "Permanent Resident",
        "h1b": "H-1B",
        "opt": "F-1 OPT",
        "f1": "F-1",
        "j1": "J-1",
        "l1": "L-1",
        "o1": "O-1",
        "tn": "TN",
        "e3": "E-3",
        "ead": "EAD",
    }

    def _derive_visa_status(self, f: FieldInfo) -> Answer | None:
        text = (self.profile.work_authorization or "").strip()
        status = self._status()
        if not text or status.kind is None:
            return None
        if f.kind in _TEXT_KINDS:
            return Answer(text, "profile:work_authorization")
        return Answer(self._VISA_LABELS[status.kind], "derived:visa_status")

    def _derive_minimum_age(self, f: FieldInfo) -> Answer | None:
        question = normalise(f.question)
        words = {"sixteen": 16, "eighteen": 18, "twenty one": 21}
        found = re.search(r"\b(16|18|21|sixteen|eighteen|twenty one)\b", question)
        threshold = 18 if found is None else int(words.get(found.group(1), found.group(1)))
        born = parse_date(self.profile.date_of_birth) if self.profile.date_of_birth else None
        if born is not None:
            return self._yes_no(_age_on(born, self.today) >= threshold, "derived:age")
        over_18 = self.profile.over_18
        if over_18 is True and threshold <= 18:
            return Answer("Yes", "derived:age")
        if over_18 is False and threshold >= 18:
            return Answer("No", "derived:age")
        return None

    def _derive_start_date(self, f: FieldInfo) -> Answer | None:
        start = _as_text(self.profile.available_start_date)
        if start is not None:
            return self._shape(f, start, "profile:available_start_date", "start_date")
        notice = _as_text(self.profile.notice_period)
        if notice is None:
            return None
        return self._shape(f, notice, "derived:start_date_from_notice_period", "start_date")

    def _derive_phone_type(self, f: FieldInfo) -> Answer | None:
        if self.profile.phone_type:
            return Answer(self.profile.phone_type, "profile:phone_type")
        return Answer("Mobile", "derived:phone_type") if self.profile.phone else None

    def _derive_phone_country_code(self, f: FieldInfo) -> Answer | None:
        home = country_of(normalise(self.profile.location.country or ""))
        dial = dial_code_of(self.profile.phone or "")
        country = None
        if dial is None and home is not None:
            dial, country = home.dial, home
        elif dial is not None:
            if home is not None and home.dial == dial:
                country = home
            else:
                sharing = [c for c in COUNTRIES if c.dial == dial]
                country = sharing[0] if len(sharing) == 1 else None
        if dial is None:
            return None
        named = f"{country.name} (+{dial})" if country else f"+{dial}"
        if f.kind in _TEXT_KINDS:
            # A text box, or a search box ("Country Phone Code" on Workday) where "+1"
            # brings up Canada and the United States: the country's name tells them apart.
            more = [named, country.name] if country else []
            return Answer(f"+{dial}", "derived:phone_country_code", [dial, *more])
        more = [country.name] if country else []
        return Answer(named, "derived:phone_country_code", [*more, f"+{dial}"])

    def _place_answer(self, f: FieldInfo, slot: str) -> Answer | None:
        """The applicant's city ("city") or "City, State" ("location"). Typeaheads get
        "City, State" whatever they ask, so their suggestion in the right state can be
        told from the other cities of that name, and other spellings to type."""
        if _asks_yes_no(f, normalise(f.question)):
            return None  # "Is your current location in the US?" is not asking where
        loc = self.profile.location
        city, state, country = (_as_text(x) for x in (loc.city, loc.state, loc.country))
        typeahead = f.kind not in _TEXT_KINDS or slot == "location"
        if slot == "city" and not typeahead:
            return self._shape(f, city, "profile:city", "city") if city else None
        if city is None:
            value = self.profile_value(slot)
            return None if value is None else self._shape(f, value, f"profile:{slot}", slot)
        qualifier = state or country
        value = f"{city}, {qualifier}" if qualifier else city
        alternatives: list[str] = []
        state_name = US_STATES.get((state or "").upper())
        if state_name:
            alternatives.append(f"{city}, {state_name}")
        if qualifier:
            alternatives.append(city)
        return Answer(value, f"profile:{slot}", alternatives)

    def _derive_city(self, f: FieldInfo) -> Answer | None:
        return self._place_answer(f, "city")

    def _derive_location(self, f: FieldInfo) -> Answer | None:
        return self._place_answer(f, "location")

    def _employment_with_employer(self, f: FieldInfo) -> list[WorkHistory] | None:
        """The work history entries at the employer this application is for; None when
        that cannot be told."""
        history = self.profile.work_history
        if not history:
            return []
        if self.employer is None:
            # The question may name a company the applicant worked for.
            question = normalise(f.question)
            named = [
                h for h in history if h.company and _contains(_company_core(h.company), question)
            ]
            return named or None
        same = [(h, _same_company(h.company or "", self.employer)) for h in history]
        worked = [h for h, s in same if s is True]
        if not worked and any(s is None for _, s in same):
            return None  # "Meta" / "Meta Platforms": cannot be told
        return worked

    def _derive_previously_employed(self, f: FieldInfo) -> Answer | None:
        worked = self._employment_with_employer(f)
        if worked is None:
            return None
        return Answer("Yes" if worked else "No", "derived:previously_employed")

    def _derive_current_employee(self, f: FieldInfo) -> Answer | None:
        worked = self._employment_with_employer(f)
        if worked is None:
            return None
        if any(h.current for h in worked):
            return Answer("Yes", "derived:current_employee")
        if all(h.end_date and h.current is not True for h in worked):
            return Answer("No", "derived:current_employee")  # none, or all ended
        return None  # no end date, but not said to be current either

    def _derive_highest_education(self, f: FieldInfo) -> Answer | None:
        degrees = [e.degree for e in self.profile.education if e.degree]
        if not degrees:
            return None
        ranked = [(_DEGREE_RANK.get(degree_level(d) or "", 0), d) for d in degrees]
        if len(ranked) > 1 and any(rank == 0 for rank, _ in ranked):
            return None  # a degree we cannot place: which is highest is unknown
        return self._shape(f, max(ranked)[1], "derived:highest_education", "highest_education")

    def _eeo_answer(self, intent: str) -> Answer | None:
        name = _EEO_FIELDS.get(intent)
        value = _as_text(getattr(self.profile.eeo, name)) if name else None
        return Answer(value, f"profile:eeo.{name}") if value else None

    @staticmethod
    def _eeo_by_options(f: FieldInfo) -> str | None:
        """The self-identification question an option list asks when its wording does not
        say (Workday's disability form: "Please check one of the boxes below:")."""
        texts = [normalise(str(o.get("text", ""))) for o in f.real_options]
        if len(texts) < 2 or not any(_DECLINE.search(t) for t in texts):
            return None
        for intent, pattern in _EEO_BY_OPTIONS:
            if sum(1 for t in texts if pattern.search(t)) >= 2:
                return intent
        return None

    @staticmethod
    def _decline(f: FieldInfo) -> Answer | None:
        """The page's own "decline to self-identify" option, if it has one."""
        if f.kind in _TEXT_KINDS or f.kind in ("checkbox", "switch", "file", "date"):
            return None
        options = f.real_options
        if not options:
            if f.kind != "combobox":
                return None
            # A typeahead shows its options only when typed into: type what brings up
            # the decline option; the engine picks it by the value.
            return Answer("Decline to self-identify", "decline", list(_DECLINE_TYPED))
        for option in options:
            text = str(option.get("text", ""))
            if _DECLINE.search(normalise(text)):
                return Answer([text] if f.kind == "checkbox_group" else text, "decline")
        return None

    # -- entries of a work history or an education list ----------------------------------

    @staticmethod
    def _entry_of(f: FieldInfo) -> tuple[str, int] | None:
        """("work" | "education", index) when ``f`` belongs to one entry of a list of jobs
        or schools ("Work Experience 1", "Education 2")."""
        # The group around the field ("Work Experience 1" around "Company"), or the heading
        # of its section when that is numbered: "Work Experience 1" above the "From" date
        # group. An unnumbered heading ("Education") may head other questions too.
        labels = [(f.section, True)]
        if f.kind not in ("radio", "checkbox_group"):  # their group label is the question
            labels.append((f.group_label, False))
        for label, numbered in labels:
            norm = normalise(label)
            for kind, pattern in (("work", _WORK_ENTRY), ("education", _EDUCATION_ENTRY)):
                match = pattern.match(norm)
                if match is None:
                    continue
                number = match.group("n") or match.group("m")
                if number or not numbered:
                    return kind, max(int(number or 1) - 1, 0)
        return None

    def _entry_answer(
        self, f: FieldInfo, slot: str | None, kind: str, index: int
    ) -> Answer | bool | None:
        """The answer from entry ``index`` of the work history or education; False when
        the field is not one an entry answers (the caller goes on as usual)."""
        question = normalise(f.question)
        entries: Sequence[Any] = (
            self.profile.work_history if kind == "work" else self.profile.education
        )
        entry = entries[index] if index < len(entries) else None
        source = f"profile:{'work_history' if kind == 'work' else 'education'}[{index}]"
        if _ENTRY_FROM.match(question) or _ENTRY_TO.match(question):
            if entry is None:
                return None
            start = bool(_ENTRY_FROM.match(question))
            if not start and kind == "work" and entry.current:
                return None
            value = _as_text(entry.start_date if start else entry.end_date)
            if value is None:
                return None
            return Answer(
                value,
                f"{source}.{'start' if start else 'end'}_date",
                [],
                parse_date(value) or parse_month(value),
            )
        if kind == "work" and f.kind in ("checkbox", "switch") and _ENTRY_CURRENT.search(question):
            if entry is None:
                return None
            if entry.current is not None:
                return Answer(bool(entry.current), f"{source}.current")
            return Answer(False, f"{source}.current") if entry.end_date else None
        if (
            kind == "work"
            and slot is None
            and f.kind in _TEXT_KINDS
            and _ENTRY_DESCRIPTION.search(question)
        ):
            value = _as_text(entry.description) if entry else None
            return None if value is None else Answer(value, f"{source}.description")
        known = _WORK_ENTRY_SLOTS if kind == "work" else _EDUCATION_ENTRY_SLOTS
        if slot not in known:
            return False
        if entry is None or slot in _ENTRY_PLACE_SLOTS:
            return None
        if slot == "highest_education":
            slot = "degree"
        if kind == "work":
            value = {"title": entry.title, "company": entry.company}.get(slot)
        else:
            value = {
                "school": entry.school,
                "degree": entry.degree,
                "field_of_study": entry.field_of_study,
                "graduation_year": entry.graduation_year or (entry.end_date or "")[:4] or None,
            }.get(slot)
        value = _as_text(value)
        return None if value is None else self._shape(f, value, f"{source}.{slot}", slot)

    # -- the one entry point -----------------------------------------------------------

    def answer_for(self, f: FieldInfo) -> Answer | None:
        """What to put in ``f``, or None to leave it alone."""
        if f.kind == "file":
            return None  # the resume is placed by the engine, not answered
        slot = self.slot_of(f)
        entry = self._entry_of(f)
        if entry is not None:
            # A field of one job or school of a list: that entry's, never the applicant's
            # own ("Location" of Work Experience 1 is where that job was).
            from_entry = self._entry_answer(f, slot, *entry)
            if from_entry is not False:
                return from_entry if isinstance(from_entry, Answer) else None
        matched = self.match_question(f.question)
        if matched is not None:
            return self._shape(f, matched[1], f"qa:{matched[0]}", self.intent(f.question))
        if f.kind == "checkbox_group" and normalise(f.question):
            question = normalise(f.question)
            chosen = self._skills_in(f.options)
            if chosen and _SKILLS_QUESTION.search(question) and not _NEGATED.search(question):
                return Answer(chosen, "profile:skills")
        eeo = slot if slot in EEO_INTENTS else None
        if slot is None and f.kind not in _TEXT_KINDS:
            eeo = self._eeo_by_options(f)
        if eeo in _EEO_FIELDS:
            answer = self._eeo_answer(eeo)
            if answer is not None:
                if f.kind == "checkbox_group":
                    answer.value = [answer.value]
                return answer
        elif slot is not None:
            answer = self.profile_answer(slot, f)
            if answer is not None:
                return answer
        if f.kind == "checkbox" and f.required and self.accept_required_consents:
            if _CONSENT.search(normalise(f.question)):
                return Answer(True, "consent")
        if eeo is not None and self.decline_eeo:
            # Self-identification the profile does not give: declined in the page's
            # words, whether the question is required or not.
            return self._decline(f)
        return None

    def _skills_in(self, options: Iterable[dict[str, Any]]) -> list[str]:
        skills = {normalise(s) for s in self.profile.skills}
        return [str(o.get("text")) for o in options if normalise(str(o.get("text", ""))) in skills]

    def _shape(self, f: FieldInfo, value: Any, source: str, intent: str | None = None) -> Answer:
        answer = Answer(value, source)
        if source == "profile:phone" or f.input_type == "tel":
            answer.alternatives = phone_variants(str(value))[1:]
        elif intent in ("degree", "highest_education") and isinstance(value, str):
            answer.alternatives = degree_alternatives(value)
        date_like = f.kind == "date" or f.input_type == "date" or _looks_like_date_field(f)
        if f.kind in ("date", "text") and date_like:
            answer.date = parse_date(value)
            if answer.date is None and intent == "start_date":
                answer.date = relative_date(value, self.today)
        return answer
