from __future__ import annotations

import pytest

from ghosthands.db.queries import Queries


def test_named_queries_are_split_by_header() -> None:
    text = "-- preamble\n-- name: one\n-- First.\nSELECT 1;\n\n-- name: two\nSELECT %(x)s\n"
    queries = Queries("t.sql", text)
    assert queries.names() == ["one", "two"]
    assert queries.one == "-- First.\nSELECT 1;"
    assert queries["two"] == "SELECT %(x)s"
    with pytest.raises(AttributeError, match="no query named 'three'"):
        _ = queries.three


def test_duplicate_and_empty_queries_are_refused() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        Queries("t.sql", "-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")
    with pytest.raises(ValueError, match="is empty"):
        Queries("t.sql", "-- name: a\n-- nothing here\n")
