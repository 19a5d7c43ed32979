"""What a replica is, for the tests and the bench: where it starts, what it must receive.

``expected`` holds every field the replica's final submission carries, with the value
that is right for :data:`~ghosthands.sample_site.SAMPLE_PROFILE`, its
``SAMPLE_QA_ANSWERS`` and the scripted model's answers (:mod:`.model`). The other maps
say where each right answer comes from, so a failure report can say what kind of
answer the engine missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Placeholder in ``expected`` for the day the application is sent (MM/DD/YYYY), for
#: forms that pre-fill today's date (Workday's disability self-identification).
TODAY = "<today>"


@dataclass(frozen=True)
class Replica:
    name: str
    #: The ATS whose structure it reproduces.
    ats: str
    company: str
    job_title: str
    #: Path (and query) of the page a job starts on, on the main origin.
    start_path: str
    #: The final submission: method and path (with query) as the server receives it.
    submit_method: str
    submit_path: str
    #: Every field of the final submission and its right value.
    expected: Mapping[str, str | list[str]]
    #: The fields of ``expected`` the form requires.
    required: frozenset[str]
    #: File fields of the final submission -> the file name expected (the resume).
    files: Mapping[str, str] = field(default_factory=dict)
    #: field -> question that only a model can answer (no profile value, no qa answer).
    model_fields: Mapping[str, str] = field(default_factory=dict)
    #: field -> the qa_answers key that answers it in other words.
    qa_fields: Mapping[str, str] = field(default_factory=dict)
    #: field -> how the right value follows from the profile (not a plain copy).
    derived: Mapping[str, str] = field(default_factory=dict)
    #: field -> the wrong value the site's resume parsing writes into it.
    prefilled_wrong: Mapping[str, str] = field(default_factory=dict)
    #: The form (or all of it) lives in a frame of another origin.
    cross_origin_frame: bool = False
    #: The application starts behind a sign-in wall: the job must pause for a person,
    #: who answers with these credentials (``POST /valet/resume`` action credentials).
    login: tuple[str, str] | None = None
    #: Whether the confirmation page shows an id the result should carry.
    shows_confirmation_id: bool = False
    #: What the replica reproduces, in a sentence or two.
    notes: str = ""

    def expected_fields(self, today: dt.date | None = None) -> dict[str, str | list[str]]:
        """``expected`` with placeholders resolved."""
        day = (today or dt.date.today()).strftime("%m/%d/%Y")
        return {k: (day if v == TODAY else v) for k, v in self.expected.items()}

    @property
    def required_count(self) -> int:
        return len(self.required) + len(self.files)
