"""The callback body (SPEC §5), built from the snapshot the outbox trigger stored.

The trigger ``gh_enqueue_callback`` (migration 0002) snapshots the job row in the same
transaction as the status change; :func:`build_payload` turns that snapshot into the
:class:`CallbackPayload` Struct. The snapshot never changes, so every retry of a row
sends the same body, except for ``screenshot_url`` when an object store keeps the
screenshot: the sender signs that link afresh per attempt, so it has not expired.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class CallbackCost(msgspec.Struct, frozen=True):
    total_cost_usd: float
    action_count: int
    total_tokens: int


class CallbackInteraction(msgspec.Struct, frozen=True, omit_defaults=True):
    """The original contract's ``interaction`` of a ``needs_human`` callback."""

    type: str
    screenshot_url: str | None = None
    page_url: str | None = None
    description: str | None = None


class CallbackPayload(msgspec.Struct, frozen=True):
    """What VALET receives at the job's ``callback_url``."""

    job_id: uuid.UUID
    #: completed | failed | cancelled | needs_human | retried
    event: str
    #: The original contract's status, which VALET's client switches on: ``needs_human``
    #: for a job waiting for a person (paused, or awaiting_review), else the job's status.
    status: str
    valet_task_id: str | None
    result_data: dict[str, Any] | None
    result_summary: str | None
    #: The latest screenshot: an absolute, time-limited signed link when an object store
    #: keeps it (GH_STORAGE_BACKEND), else the API's artifact path.
    screenshot_url: str | None
    error_code: str | None
    error_message: str | None
    cost: CallbackCost
    completed_at: dt.datetime | None
    interaction_type: str | None = None
    interaction_data: dict[str, Any] | None = None
    #: The job's own status at the moment of the event (``status`` folds two into one).
    job_status: str | None = None
    interaction: CallbackInteraction | None = None


class Snapshot(msgspec.Struct, frozen=True):
    """The outbox row's ``payload`` column as the trigger writes it."""

    job_id: uuid.UUID
    status: str
    valet_task_id: str | None = None
    result_data: dict[str, Any] | None = None
    result_summary: str | None = None
    screenshot_urls: list[str] = msgspec.field(default_factory=list)
    error_code: str | None = None
    error_details: dict[str, Any] | None = None
    status_message: str | None = None
    llm_cost_cents: float = 0.0
    action_count: int = 0
    total_tokens: int = 0
    completed_at: dt.datetime | None = None
    interaction_type: str | None = None
    interaction_data: dict[str, Any] | None = None


def build_payload(event: str, snapshot: dict[str, Any]) -> CallbackPayload:
    """The callback for an outbox row: its event plus the stored job snapshot."""
    snap = msgspec.convert(snapshot, Snapshot, strict=False)
    error_message = None
    if snap.error_code:
        detail = (snap.error_details or {}).get("message")
        error_message = str(detail) if detail else snap.status_message
    screenshot = snap.screenshot_urls[-1] if snap.screenshot_urls else None
    interaction = None
    if event == "needs_human":
        data = snap.interaction_data or {}
        interaction = CallbackInteraction(
            type=snap.interaction_type or snap.status,
            screenshot_url=screenshot,
            page_url=_text(data.get("url")),
            description=_text(data.get("reason")) or snap.status_message,
        )
    return CallbackPayload(
        job_id=snap.job_id,
        event=event,
        status="needs_human" if event == "needs_human" else snap.status,
        job_status=snap.status,
        interaction=interaction,
        valet_task_id=snap.valet_task_id,
        result_data=snap.result_data,
        result_summary=snap.result_summary,
        screenshot_url=screenshot,
        error_code=snap.error_code,
        error_message=error_message,
        cost=CallbackCost(
            total_cost_usd=round(snap.llm_cost_cents / 100.0, 6),
            action_count=snap.action_count,
            total_tokens=snap.total_tokens,
        ),
        completed_at=snap.completed_at,
        interaction_type=snap.interaction_type,
        interaction_data=snap.interaction_data,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def encode_payload(payload: CallbackPayload) -> bytes:
    return msgspec.json.encode(payload)
