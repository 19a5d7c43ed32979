"""Named SQL queries kept in ``.sql`` files, so SQL can be read and reviewed as SQL.

A file holds several queries, each introduced by a ``-- name:`` line and a one-line
purpose comment::

    -- name: claim_jobs
    -- Claim up to %(limit)s due pending jobs for one worker, best first.
    WITH ... SELECT ...

Parameters use psycopg's ``%(name)s`` style. Load a file once at import time with
:func:`load_queries` and look queries up by name.
"""

from __future__ import annotations

import re
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


class Queries:
    """The queries of one file, by name. ``queries.claim_jobs`` or ``queries["claim_jobs"]``."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self._by_name: dict[str, str] = {}
        parts = _HEADER.split(text)
        # parts = [preamble, name1, body1, name2, body2, ...]
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in self._by_name:
                raise ValueError(f"{source}: query {name!r} defined twice")
            sql = body.strip()
            if not sql or all(line.startswith("--") for line in sql.splitlines()):
                raise ValueError(f"{source}: query {name!r} is empty")
            self._by_name[name] = sql

    def __getitem__(self, name: str) -> str:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.source} has no query named {name!r}") from None

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(str(exc)) from None

    def names(self) -> list[str]:
        return list(self._by_name)


def load_queries(package: str, filename: str) -> Queries:
    """Load ``filename`` shipped inside ``package`` (e.g. ``"ghosthands.jobs.sql"``)."""
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    return Queries(f"{package}/{filename}", text)
