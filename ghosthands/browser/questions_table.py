"""The common application questions as canonical intents, and the countries they name.

Data and two lookups, no browser. :data:`INTENTS` lists what application forms ask
(start date, sponsorship, "how did you hear about us", EEO, contact details...) with the
ways ATS pages phrase each one. :func:`intent_of` gives the intent of a question,
:func:`countries_in` the countries it names. Both take text already passed through
``answers.normalise`` (lower case, no accents, punctuation as spaces, "+" kept).

Order matters: the first intent that matches wins, so specific intents come before the
general ones they overlap ("phone type" before "phone", "preferred name" before "first
name", "authorised to work without sponsorship" before either). An ``exclude`` pattern
disqualifies wordings that look alike but ask something else, often the opposite ("Do
you require relocation assistance?" is not "Are you willing to relocate?"). When in
doubt, leave a wording out: an intent with no match costs a "missing answer", an intent
with a wrong match costs a wrong answer on someone's job application.

To maintain: add phrasings as ``phrases`` (normalised words, matched as whole words) or
``patterns`` (regexes); ``tests/browser/test_answers.py`` checks that phrases are
normalised and holds the real-page wordings each intent must (and must not) match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Intent:
    name: str
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: str = ""
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        parts = [rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])" for p in self.phrases]
        parts += [f"(?:{p})" for p in self.patterns]
        object.__setattr__(self, "regex", re.compile("|".join(parts) or "(?!)"))

    def matches(self, norm: str) -> bool:
        if self.exclude and re.search(self.exclude, norm):
            return False
        return bool(self.regex.search(norm))


_AGE = r"(16|18|21|sixteen|eighteen|twenty one)"
#: Questions that want a yes or no ("Can you start within 2 weeks?"), not a value.
_YES_NO = r"^(are|is|can|could|would|will|do|does|did|have|has) (you|your)\b"
_EMPLOYER = r"(us|this company|the company|our company|this organi[sz]ation|this employer)"
#: Names of people other than the applicant: their name fields are not the applicant's.
_SOMEONE_ELSE = (
    r"\b(referr\w*|reference|emergency|contact person|manager|supervisor|spouse|parent|"
    r"guardian|company|employer|school|recruiter|hiring)\b"
)

INTENTS: tuple[Intent, ...] = (
    # -- work eligibility (combined wordings first) ----------------------------------
    Intent(
        "work_authorization_and_sponsorship",
        patterns=(
            r"\b(authori[sz]ed|eligible|permitted) to work\b.*\b(and|or)\b.*"
            r"\b(require|need)s?\b.*\bsponsor",
        ),
    ),
    Intent(
        "authorized_without_sponsorship",
        patterns=(
            r"\bwithout (the |any )?(need (for|of) |needing |requiring |requirement (for|of) )?"
            r"(an? )?(visa |employer |employment |company |work visa |immigration |future )?"
            r"sponsor",
        ),
    ),
    Intent(
        "sponsorship",
        patterns=(
            r"\bsponsor(ship|ed|ing)?\b",
            r"\b(require|need)s? (an? )?(work |employment |new )?visa\b",
            r"\bvisa (support|transfer)\b",
        ),
        exclude=r"\bsponsor(ed|s)? (events?|content|posts?|programs?)\b",
    ),
    Intent(
        "work_authorization",
        patterns=(
            r"\b(authori[sz]ed|eligible|permitted|entitled) to (legally )?work\b",
            r"\bwork (authori[sz]ation|eligibility|permit)\b",
            r"\blegal(ly)? (authori[sz]ed|eligible|permitted|entitled|able|right)\b",
            r"\bright to work\b",
            r"\bauthori[sz]ation to work\b",
            r"\bemployment (eligibility|authori[sz]ation)\b",
            r"\beligib(le|ility) (for|to) (employment|work)\b",
        ),
        exclude=r"\b(work permit|visa) (type|status|category)\b",
    ),
    Intent(
        "visa_status",
        patterns=(
            r"\b(visa|immigration|residency|work permit) (status|type|category)\b",
            r"\bcurrent (visa|immigration status)\b",
            r"\bwhat (type of |kind of )?visa\b",
            r"\b(type|kind) of visa\b",
        ),
    ),
    Intent("citizenship", patterns=(r"\bcitizen(ship|s)?\b", r"\bnationalit(y|ies)\b")),
    # -- screening ----------------------------------------------------------------------
    Intent(
        "criminal_conviction",
        patterns=(
            r"\bconvict(ed|ion|ions)\b",
            r"\bfelon(y|ies)\b",
            r"\bpled (guilty|no contest)\b",
            r"\bcriminal (record|offen[cs]es?|history|charges?)\b",
        ),
    ),
    Intent(
        "background_check",
        patterns=(r"\bbackground (check|checks|screen|screening|investigation|verification)\b",),
    ),
    Intent(
        "drug_test",
        patterns=(
            r"\b(drug|substance|alcohol)( and alcohol)? (test|tests|testing|screen|screening)\b",
        ),
    ),
    Intent(
        "security_clearance",
        patterns=(
            r"\b(security|government|federal|dod|active|current) clearance\b",
            r"\bclearance (level|status)\b",
            r"\b(top secret|ts sci|public trust)\b",
            r"\b(hold|have|possess|obtain|eligible for) (an? )?(active )?(security )?clearance\b",
        ),
    ),
    Intent(
        "minimum_age",
        patterns=(
            rf"\b{_AGE} (years |yrs )?(of age|old)\b",
            rf"\b{_AGE} (years |yrs )?(of age |old )?or (older|over|above|more)\b",
            rf"\bat least {_AGE}\b",
            rf"\b(over|above) (the age of )?{_AGE}\b",
            rf"\bage of {_AGE}\b",
            rf"\b{_AGE} ?\+",
            r"\b(legal|minimum|legal working|lawful working) age\b",
            r"\bage of majority\b",
        ),
        exclude=rf"\b(under|younger than|below|less than) (the age of )?{_AGE}\b|\bminor\b|"
        r"\bexperience\b|\bmonths\b",
    ),
    Intent(
        "relatives",
        patterns=(
            r"\brelatives?\b",
            r"\bfamily members?\b",
            r"\bimmediate family\b",
            r"\brelated to (any|an|a current|someone)\b",
            r"\b(family )?relationship (to|with) (any|an|a current|someone)\b",
        ),
    ),
    Intent(
        "non_compete",
        patterns=(
            r"\bnon ?compet(e|es|ition)\b",
            r"\bnon ?solicit(ation)?\b",
            r"\brestrictive covenants?\b",
            r"\bcovenant not to compete\b",
        ),
    ),
    Intent(
        "previously_applied",
        patterns=(
            r"\b(previously|ever|already|before) (applied|interviewed)\b",
            r"\bapplied (to|with|at|for) .*\b(before|previously|in the past)\b",
        ),
    ),
    Intent(
        "previously_employed",
        patterns=(
            r"\b(current or former|former or current|current or past|current or previous|"
            r"former|previous|past|ex)( \w+){0,3} (employee|employees|contractor|intern|"
            r"worker|associate|team member|staff member)\b",
            rf"\b(worked|been employed|employed) (for|at|with|by) {_EMPLOYER}\b",
            rf"\b(did|have) you (ever |previously )?work (for|at|with) {_EMPLOYER}\b",
            rf"\b(been|were) (an? )?(employee|contractor|intern) (of|at|with|for) {_EMPLOYER}\b",
            r"\bworked here\b",
            r"\b(rehire|re hire)\b",
            r"\b(prior|previous) employment (with|at) " + _EMPLOYER + r"\b",
        ),
        exclude=r"\b(subsidiar|affiliat|partners?|clients?|customers?|vendors?|competitors?|"
        r"startups?|agency|agencies|government|referr)\w*",
    ),
    Intent(
        "current_employee",
        patterns=(
            r"\bcurrent(ly)? (an? )?(\w+ ){0,2}(employee|associate|team member|contractor)\b",
            rf"\bcurrently (employed|working) (by|at|for|with) {_EMPLOYER}\b",
        ),
        exclude=r"\b(former|previous|past|ever|subsidiar|affiliat|referr)\w*",
    ),
    # -- availability -------------------------------------------------------------------
    Intent(
        "start_date",
        phrases=(
            "when can you start",
            "when could you start",
            "when would you be able to start",
            "when are you able to start",
            "when will you be able to start",
            "when would you start",
            "how soon can you start",
            "how soon could you start",
            "how soon would you be able to start",
            "earliest start",
            "earliest possible start",
            "earliest date you can start",
            "earliest date you could start",
            "earliest available",
            "earliest availability",
            "earliest date available",
            "available start date",
            "availability to start",
            "available to start",
            "start availability",
            "desired start date",
            "preferred start date",
            "anticipated start date",
            "potential start date",
            "possible start date",
            "expected start date",
            "proposed start date",
            "target start date",
            "date available",
            "date available to start",
            "available date",
            "availability date",
            "date of availability",
            "when are you available",
            "when will you be available",
            "when would you be available",
        ),
        exclude=_YES_NO
        + r"|\b(notice|interview|call|chat|meeting|phone screen|end date|graduat\w*|"
        r"internship dates?)\b",
    ),
    Intent(
        "notice_period",
        patterns=(
            r"\bnotice period\b",
            r"\b(how much|how long|weeks?|months?|days?) (of )?notice\b",
            r"\bnotice (do you need|required|to give|must you give|do you have to give|"
            r"are you required|is required|would you need)\b",
            r"\b(give|giving|serve|serving) notice\b",
        ),
        exclude=_YES_NO + r"|\b(privacy|policy|eeo|collection|applicant notice)\b",
    ),
    Intent(
        "how_heard",
        patterns=(
            r"\bhow did you (first )?hear\b",
            r"\b(how|where) did you (first )?(hear|learn|find out|come across|discover|"
            r"become aware|find|see|get to know)\b.*\b(about|of|us|this|our|job|position|"
            r"role|opening|posting|opportunity|company|vacancy)\b",
            r"\bhear(d)? about\b",
            r"\breferral source\b",
            r"\b(application|applicant|candidate|lead|job|recruiting) source\b",
            r"^source( of (application|referral|hire))?$",
        ),
    ),
    Intent(
        "referral_name",
        patterns=(
            r"\b(referrer|referring employee|referring person|referral)s? (full )?name\b",
            r"\bname of (the )?(person|employee|individual|referrer|referral)\b.*\brefer",
            r"\bwho referred you\b",
            r"\breferred by\b",
            r"\bif (you were |you have been )?referred\b",
        ),
        exclude=r"\b(e ?mail|phone|source|were you referred|have you been referred)\b",
    ),
    Intent(
        "was_referred",
        patterns=(
            r"\b(were|have) you (been )?referred\b",
            r"\bdid (someone|anyone|an employee|a current employee|an? \w+ employee) refer you\b",
        ),
    ),
    Intent(
        "relocate",
        patterns=(r"\breloca(te|ting|tion)\b", r"\bwilling to move\b", r"\bopen to moving\b"),
        exclude=r"\breloca\w* (assistance|package|support|bonus|benefits?|expenses?|"
        r"reimbursement|costs?|help|allowance)\b|\b(assist\w*|help|support) (with|for) reloca",
    ),
    Intent("travel", patterns=(r"\btravel(l?ing)?\b",), exclude=r"\btravel (expenses?|reimburse)"),
    Intent(
        "preferred_location",
        patterns=(
            r"\b(preferred|desired) (work |office )?locations?\b",
            r"\bwhich (of our )?(office|offices|locations?)\b",
            r"\blocation preference\b",
        ),
    ),
    Intent(
        "work_arrangement",
        patterns=(
            r"\b(remote(ly)?|hybrid|on ?site|in office|in person)\b.*\b(or|and|vs|versus)\b.*"
            r"\b(remote(ly)?|hybrid|on ?site|in office|in person)\b",
            r"\bwork(ing|place)? (arrangement|model|setup|mode|style|environment) "
            r"(preference|do you prefer)\b",
            r"\b(preferred|desired) (work|working) (arrangement|model|setup|mode|style)\b",
            r"\bwork (arrangement|model)\b",
        ),
    ),
    Intent(
        "work_remote",
        patterns=(r"\bremote(ly)?\b", r"\bwork(ing)? from home\b", r"\bwfh\b", r"\btelecommut"),
    ),
    Intent("work_hybrid", patterns=(r"\bhybrid\b",)),
    Intent(
        "work_onsite",
        patterns=(
            r"\bon ?site\b",
            r"\bin (the |our |an |a |one of our )?offices?\b",
            r"\bin person\b",
            r"\bcommut(e|ing)\b",
            r"\breport to (the|our) office\b",
        ),
    ),
    # -- pay ------------------------------------------------------------------------------
    Intent(
        "current_salary",
        patterns=(
            r"\bcurrent (annual |base |total |yearly |monthly )?(salary|compensation|pay|ctc|"
            r"base|package|rate|wage)\b",
            r"\bsalary history\b",
            r"\b(present|existing|last|previous|most recent|latest) (annual |base )?"
            r"(salary|compensation|pay|ctc|wage)\b",
        ),
    ),
    Intent(
        "hourly_rate",
        patterns=(r"\bhourly (rate|pay|wage)\b", r"\b(rate|pay) per hour\b", r"\bper hour\b"),
    ),
    Intent(
        "salary",
        patterns=(
            r"\b(salary|compensation|pay|wage|rate|ctc|remuneration)( range)? "
            r"(expectations?|requirements?|expected|desired)\b",
            r"\b(desired|expected|target|requested|minimum|preferred|anticipated) (annual |base |"
            r"hourly |total |yearly |starting |monthly )?(salary|compensation|pay|wage|rate|ctc|"
            r"remuneration|base)\b",
            r"\bsalary\b",
            r"\bcompensation\b",
        ),
        exclude=_YES_NO + r"|\b(comfortable|acceptable|okay|ok with|agree|accept|aligns?|aware|"
        r"transparency|benefits?|equity)\b",
    ),
    # -- EEO / self-identification --------------------------------------------------------
    Intent("sexual_orientation", patterns=(r"\bsexual orientation\b", r"\b(lgbt|lgbtq)\w*")),
    Intent(
        "transgender",
        patterns=(r"\btrans ?gender\b", r"\bassigned at birth\b", r"\bsex .* at birth\b"),
    ),
    Intent(
        "gender",
        patterns=(r"\bgender( identity)?\b", r"\bsex\b"),
        exclude=r"\bsexual\b",
    ),
    Intent(
        "hispanic_latino",
        patterns=(r"\bhispanic\b", r"\blatin[oax]\b"),
        exclude=r"\brac(e|es|ial)\b",
    ),
    Intent("race", patterns=(r"\brac(e|es|ial)\b", r"\bethnic(ity|ities)?\b")),
    Intent(
        "veteran",
        patterns=(
            r"\bveterans?\b",
            r"\bmilitary (service|status|experience|background)\b",
            r"\barmed forces\b",
            r"\bserved in the (military|armed forces|army|navy|air force|marines)\b",
        ),
        exclude=r"\bspouse\b",
    ),
    Intent("disability", patterns=(r"\bdisabilit(y|ies)\b", r"\bdisabled\b", r"\bhandicap")),
    Intent("pronouns", patterns=(r"\bpronouns?\b",)),
    # -- names ----------------------------------------------------------------------------
    Intent(
        "preferred_name",
        patterns=(
            r"\bpreferred (first |given |full )?name\b",
            r"\bnick ?name\b",
            r"\bgo(es)? by\b",
            r"\bname you (prefer|go by|would like to be called)\b",
            r"\bchosen name\b",
        ),
        exclude=r"\b(referr\w*|reference|emergency|manager|company|employer)\b",
    ),
    Intent("middle_name", patterns=(r"\bmiddle (name|initial)s?\b",)),
    Intent(
        "full_name",
        patterns=(r"\b(first|given) (and )?(last|family) names?\b",),
        exclude=_SOMEONE_ELSE,
    ),
    Intent(
        "first_name",
        patterns=(r"\b(first|given|fore) ?names?\b",),
        exclude=_SOMEONE_ELSE,
    ),
    Intent(
        "last_name",
        patterns=(r"\b(last|family|sur) ?names?\b", r"\bsurnames?\b"),
        exclude=_SOMEONE_ELSE,
    ),
    # After first / last: "Legal name - First name" asks for the first name.
    Intent(
        "full_name",
        patterns=(
            r"^(full |legal |your |applicant |candidate )?name$",
            r"\bfull (legal )?name\b",
            r"\blegal (full )?name\b",
            r"\b(applicant|candidate)s? (full )?name\b",
            r"^name (as it appears|in full)\b",
        ),
        exclude=_SOMEONE_ELSE + r"|\b(preferred|middle|nick)\b",
    ),
    # -- contact --------------------------------------------------------------------------
    Intent(
        "email",
        patterns=(r"\be ?mail\b",),
        exclude=r"\b(manager|reference|referr\w*|may we|can we|opt in|subscribe|updates|"
        r"marketing|newsletter|consent|by e ?mail|code)\b",
    ),
    Intent(
        "phone_country_code",
        patterns=(
            r"\bcountry (phone |calling |dialing |dial )?code\b",
            r"\b(phone|dialing|dial|calling|international) (country )?code\b",
            r"\bphone (number )?country\b",
        ),
        exclude=r"\barea code\b",
    ),
    Intent("phone_extension", patterns=(r"\b(phone )?(ext|extension)\b",)),
    Intent(
        "phone_type",
        patterns=(
            r"\b(phone|device|number|telephone|contact) (device )?type\b",
            r"\btype of (phone|device|number|telephone)\b",
            r"\bphone device\b",
        ),
    ),
    Intent(
        "phone",
        patterns=(r"\b(phone|mobile|telephone|cell|cellphone)\b",),
        exclude=r"\b(type|ext|extension|country code|device|referr\w*|reference|emergency|"
        r"manager|supervisor|employer|company|business)\b",
    ),
    Intent("linkedin", patterns=(r"\blinked ?in\b",)),
    Intent("github", patterns=(r"\bgit ?hub\b",)),
    Intent(
        "portfolio",
        patterns=(r"\b(portfolio|personal (web ?site|site|url|page)|web ?site|blog)\b",),
        # "Other website" (Lever) is a further link, not the portfolio already asked for.
        exclude=r"\b(company|employer|other|additional|another|second|secondary|more)\b",
    ),
    # -- address --------------------------------------------------------------------------
    Intent(
        "address_line2",
        patterns=(r"\baddress (line )?2\b", r"\b(apt|apartment|suite|unit)\b"),
    ),
    Intent(
        "address",
        patterns=(
            r"\baddress (line )?1\b",
            r"\bstreet( address| name)?\b",
            r"^(your |home |mailing |residential |current |permanent |postal )?address$",
            r"\b(home|mailing|residential|current|permanent) address\b",
        ),
        exclude=r"\b(e ?mail|web|ip|url|city|zip|line 2)\b",
    ),
    Intent(
        "location",
        patterns=(
            r"^(current )?location\b",
            r"\bwhere are you (currently )?(based|located|living)\b",
            r"\bwhere do you (currently )?live\b",
            r"\bcity,? state\b",
            r"\bcurrent location\b",
        ),
        exclude=r"\b(preferred|desired|relocat\w*|office)\b",
    ),
    Intent("city", patterns=(r"\b(city|town)\b",), exclude=r"\b(birth|born)\b"),
    Intent(
        "state",
        patterns=(
            r"^(state|province|region|state province|state or province)$",
            r"\bstate ?/? ?province\b",
            r"^(current )?state of residence$",
        ),
    ),
    Intent(
        "country",
        patterns=(r"\bcountry\b",),
        exclude=r"\b(code|citizenship|authori\w*|birth|born|passport|issu\w*|phone|dial\w*)\b",
    ),
    Intent("zip", patterns=(r"\b(zip|postal|post ?code|postcode)\b",)),
    # -- experience and education ---------------------------------------------------------
    Intent(
        "years_experience",
        patterns=(
            r"\b(years?|yrs) (of )?((total|overall|professional|relevant|work|working|industry|"
            r"related|full time|paid|post graduate|post graduation|software|engineering|"
            r"development|developer|technical|hands on) )*experience\b",
            r"^(total |overall |professional |work )?experience (in )?years$",
            r"^experience$",
        ),
        exclude=r"\bexperience (do you have )?(with|in|using|on|working|building|managing|"
        r"leading|as|at|developing|designing|writing|programming|for)\b",
    ),
    Intent(
        "highest_education",
        patterns=(
            r"\bhighest (level of |completed |academic )?(education|degree|qualification|"
            r"diploma|academic)\b",
            r"\beducation(al)? level\b",
            r"\blevel of (education|study)\b",
        ),
    ),
    Intent(
        "company",
        patterns=(
            r"\b(current|most recent|latest|present) (company|employer)\b",
            r"^(company|employer)( name)?$",
            r"\bcurrent or most recent (company|employer)\b",
        ),
    ),
    Intent(
        "title",
        patterns=(
            r"\b(current|most recent|latest) (job )?(title|role|position)\b",
            r"^(job|current|position) title$",
        ),
    ),
    Intent(
        "school",
        patterns=(r"\b(school|university|college|institution)\b",),
        exclude=r"\bhigh school\b.*\b(graduat|diploma|complete)",
    ),
    Intent("degree", patterns=(r"\bdegree\b", r"\bqualification\b")),
    Intent("field_of_study", patterns=(r"\b(field of study|major|discipline|area of study)\b",)),
    Intent(
        "graduation_year",
        patterns=(r"\bgraduation (year|date)\b", r"\byear of graduation\b"),
    ),
    Intent(
        "languages",
        patterns=(
            r"\blanguages? (do you |you )?(speak|spoken|fluent|proficien)\w*",
            r"\b(what|which) (spoken )?languages\b",
            r"\bspoken languages?\b",
            r"^languages?$",
        ),
        exclude=r"\b(programming|coding|computer|software|scripting|frameworks?)\b",
    ),
    Intent("skills", patterns=(r"\bskills\b",)),
    Intent("cover_letter", patterns=(r"\bcover letter\b",)),
    # -- free text ------------------------------------------------------------------------
    Intent(
        "why_interested",
        patterns=(
            r"\bwhy (do you want|are you interested|would you like|are you applying|"
            r"do you wish|this company|us|join)\b",
            r"\bwhat (interests|excites|attracts|draws) you\b",
        ),
    ),
    Intent(
        "additional_info",
        patterns=(r"\banything else\b", r"^additional (information|info|comments|details)$"),
    ),
)

#: Self-identification questions: never guessed, declined when required and unanswered.
EEO_INTENTS = frozenset(
    {
        "gender",
        "race",
        "hispanic_latino",
        "veteran",
        "disability",
        "pronouns",
        "sexual_orientation",
        "transgender",
    }
)


def intent_of(norm: str) -> str | None:
    """The intent of a normalised question: the first of :data:`INTENTS` that matches."""
    if not norm:
        return None
    for intent in INTENTS:
        if intent.matches(norm):
            return intent.name
    return None


# -- countries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166 alpha-2
    name: str
    dial: str  # calling code, digits only
    #: Other names, normalised. Only unambiguous ones are looked for in question text.
    aliases: tuple[str, ...] = ()
    #: "Canadian", "British": how work_authorization texts name a citizenship.
    demonyms: tuple[str, ...] = ()


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        "United States",
        "1",
        ("usa", "u s", "u s a", "united states of america", "america"),
        ("american", "us", "u s"),
    ),
    Country("CA", "Canada", "1", (), ("canadian",)),
    Country(
        "GB",
        "United Kingdom",
        "44",
        ("uk", "u k", "great britain", "britain", "england", "scotland", "wales"),
        ("british", "uk", "english", "scottish", "welsh"),
    ),
    Country("DE", "Germany", "49", ("deutschland",), ("german",)),
    Country("FR", "France", "33", (), ("french",)),
    Country("IN", "India", "91", (), ("indian",)),
    Country("AU", "Australia", "61", (), ("australian",)),
    Country("NZ", "New Zealand", "64", (), ("new zealand", "new zealander")),
    Country("IE", "Ireland", "353", ("republic of ireland",), ("irish",)),
    Country("NL", "Netherlands", "31", ("the netherlands", "holland"), ("dutch",)),
    Country("BE", "Belgium", "32", (), ("belgian",)),
    Country("ES", "Spain", "34", (), ("spanish",)),
    Country("PT", "Portugal", "351", (), ("portuguese",)),
    Country("IT", "Italy", "39", (), ("italian",)),
    Country("CH", "Switzerland", "41", (), ("swiss",)),
    Country("AT", "Austria", "43", (), ("austrian",)),
    Country("SE", "Sweden", "46", (), ("swedish",)),
    Country("NO", "Norway", "47", (), ("norwegian",)),
    Country("DK", "Denmark", "45", (), ("danish",)),
    Country("FI", "Finland", "358", (), ("finnish",)),
    Country("PL", "Poland", "48", (), ("polish",)),
    Country("CZ", "Czech Republic", "420", ("czechia",), ("czech",)),
    Country("RO", "Romania", "40", (), ("romanian",)),
    Country("UA", "Ukraine", "380", (), ("ukrainian",)),
    Country("RU", "Russia", "7", ("russian federation",), ("russian",)),
    Country("TR", "Turkey", "90", ("turkiye",), ("turkish",)),
    Country("IL", "Israel", "972", (), ("israeli",)),
    Country("AE", "United Arab Emirates", "971", ("uae", "u a e"), ("emirati",)),
    Country("EG", "Egypt", "20", (), ("egyptian",)),
    Country("ZA", "South Africa", "27", (), ("south african",)),
    Country("NG", "Nigeria", "234", (), ("nigerian",)),
    Country("KE", "Kenya", "254", (), ("kenyan",)),
    Country("PK", "Pakistan", "92", (), ("pakistani",)),
    Country("SG", "Singapore", "65", (), ("singaporean",)),
    Country("HK", "Hong Kong", "852", (), ()),
    Country("JP", "Japan", "81", (), ("japanese",)),
    Country("KR", "South Korea", "82", ("korea", "republic of korea"), ("korean",)),
    Country("CN", "China", "86", ("prc",), ("chinese",)),
    Country("PH", "Philippines", "63", ("the philippines",), ("filipino",)),
    Country("BR", "Brazil", "55", (), ("brazilian",)),
    Country("MX", "Mexico", "52", (), ("mexican",)),
    Country("AR", "Argentina", "54", (), ("argentinian", "argentine")),
    Country("CO", "Colombia", "57", (), ("colombian",)),
)

COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

#: Words that name a country in a question only in some contexts ("us" is a pronoun,
#: "america" is a continent in "Latin America").
_VAGUE = frozenset({"us", "u s", "america", "uk"})


def _names(c: Country) -> list[str]:
    return [c.name.lower(), *c.aliases]


def country_of(text: str) -> Country | None:
    """The country a normalised value names: "us", "USA", "United States", "DE", "Deutschland"."""
    norm = text.strip()
    if not norm:
        return None
    for c in COUNTRIES:
        if norm == c.code.lower() or norm in _names(c):
            return c
    return None


def countries_in(norm: str) -> set[str]:
    """The ISO codes of the countries a normalised question or status text names."""
    found: set[str] = set()
    for c in COUNTRIES:
        words = [w for w in (*_names(c), *c.demonyms) if w not in _VAGUE]
        if any(re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", norm) for w in words):
            found.add(c.code)
    # "the US", "US citizen", "U.S. person", "in the UK": the vague ones in their contexts.
    if re.search(
        r"\b(the (us|u s)|(us|u s) (citizen|citizens|citizenship|person|national|permanent|"
        r"green card|work|based|employer|company|companies))\b|^(us|u s)$|\bin (the )?(us|u s)$",
        norm,
    ):
        found.add("US")
    if re.search(
        r"\b(the uk|uk (citizen|citizens|citizenship|national|resident|based|work))\b|^uk$", norm
    ):
        found.add("GB")
    return found


def dial_code_of(phone: str) -> str | None:
    """The calling code a phone number starts with ("+44 20 ..." -> "44"), if it says."""
    text = phone.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    digits = re.sub(r"\D", "", text)
    dials = sorted({c.dial for c in COUNTRIES}, key=len, reverse=True)
    for dial in dials:
        if digits.startswith(dial):
            return dial
    return None
