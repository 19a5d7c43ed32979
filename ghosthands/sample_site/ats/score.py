"""Grade what a replica received against what it should have: fields right / required."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ghosthands.sample_site.ats.replica import Replica
from ghosthands.sample_site.ats.site import AtsSubmission
from ghosthands.sample_site.profile import sample_resume_pdf

Value = str | list[str] | None


@dataclass
class Score:
    replica: str
    submitted: bool
    #: Required fields (and required files) received with the right value.
    right: int
    #: Required fields plus required files.
    required: int
    #: Every expected field (required or not) received with another value (None: absent).
    wrong: dict[str, tuple[Value, Value]] = field(default_factory=dict)
    #: Fields received that the replica does not expect.
    unexpected: dict[str, Value] = field(default_factory=dict)
    #: File field -> what is wrong with it.
    file_problems: dict[str, str] = field(default_factory=dict)
    #: The submission went elsewhere than the replica's final endpoint.
    endpoint_problem: str = ""

    @property
    def ratio(self) -> float:
        return self.right / self.required if self.required else 1.0

    @property
    def perfect(self) -> bool:
        return (
            self.submitted
            and not self.wrong
            and not self.unexpected
            and not self.file_problems
            and not self.endpoint_problem
        )

    def describe(self) -> str:
        if not self.submitted:
            return f"{self.replica}: nothing submitted (0/{self.required})"
        lines = [f"{self.replica}: {self.right}/{self.required} required fields right"]
        if self.endpoint_problem:
            lines.append(f"  endpoint: {self.endpoint_problem}")
        for name, (want, got) in self.wrong.items():
            lines.append(f"  {name}: expected {_short(want)}, got {_short(got)}")
        for name, got in self.unexpected.items():
            lines.append(f"  {name}: not expected, got {_short(got)}")
        for name, problem in self.file_problems.items():
            lines.append(f"  file {name}: {problem}")
        return "\n".join(lines)


def _short(value: Value) -> str:
    text = repr(value)
    return text if len(text) <= 90 else text[:87] + "..."


def score(
    replica: Replica,
    submission: AtsSubmission | None,
    *,
    resume: bytes | None = None,
    today: dt.date | None = None,
) -> Score:
    """How right ``submission`` is for ``replica`` (None: nothing was submitted)."""
    required = replica.required_count
    if submission is None:
        return Score(replica.name, False, 0, required)
    resume = sample_resume_pdf() if resume is None else resume
    expected = replica.expected_fields(today)
    result = Score(replica.name, True, 0, required)
    if (submission.method, submission.path) != (replica.submit_method, replica.submit_path):
        result.endpoint_problem = (
            f"{submission.method} {submission.path}, expected "
            f"{replica.submit_method} {replica.submit_path}"
        )
    for name, want in expected.items():
        got = submission.fields.get(name)
        if got == want:
            if name in replica.required:
                result.right += 1
        else:
            result.wrong[name] = (want, got)
    for name, got in submission.fields.items():
        if name not in expected:
            result.unexpected[name] = got
    for name, filename in replica.files.items():
        sent = submission.files.get(name)
        if sent is None:
            result.file_problems[name] = "not sent"
        elif sent.data != resume:
            result.file_problems[name] = f"other bytes ({len(sent.data)} bytes)"
        elif sent.filename != filename:
            result.file_problems[name] = f"file name {sent.filename!r}, expected {filename!r}"
        else:
            result.right += 1
    for name in submission.files:
        if name not in replica.files:
            result.file_problems[name] = "not expected"
    return result
