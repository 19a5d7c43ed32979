"""The browser job types this package provides, for the worker's handler registry."""

from __future__ import annotations

from ghosthands.handlers.apply import ApplyHandler, FillFormHandler
from ghosthands.handlers.scrape import ScrapeHandler

BROWSER_HANDLERS = (ApplyHandler, FillFormHandler, ScrapeHandler)

__all__ = ["BROWSER_HANDLERS", "ApplyHandler", "FillFormHandler", "ScrapeHandler"]
