"""The only code that reads or writes ``gh_action_manuals`` (recorded replayable steps).

Rows are keyed by a site pattern, a job type and a task key, which the LLM layer computes
(``ghosthands.llm.manuals``); steps are stored as the JSON the LLM layer encoded.
"""

from __future__ import annotations

import uuid
from typing import Any

from ghosthands.db.pool import Database
from ghosthands.db.queries import load_queries
from ghosthands.logs import get_logger

log = get_logger(__name__)
queries = load_queries("ghosthands.db.sql", "manuals.sql")


class ManualStore:
    """Recorded manuals through the pool; handed to the task runner."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, url_pattern: str, job_type: str, task_key: str) -> dict[str, Any] | None:
        """The manual row for the key, if one was recorded."""
        async with self._db.connection() as conn:
            cur = await conn.execute(
                queries.find_manual,
                {"url_pattern": url_pattern, "job_type": job_type, "task_key": task_key},
            )
            row = await cur.fetchone()
        return dict(row) if row is not None else None

    async def save(self, url_pattern: str, job_type: str, task_key: str, steps_json: str) -> None:
        """Record a successful run's steps for the key (replacing older steps)."""
        async with self._db.connection() as conn:
            await conn.execute(
                queries.save_manual,
                {
                    "url_pattern": url_pattern,
                    "job_type": job_type,
                    "task_key": task_key,
                    "steps": steps_json,
                },
            )
        log.info("manual_saved", url_pattern=url_pattern, job_type=job_type)

    async def replay_succeeded(self, manual_id: uuid.UUID) -> float:
        return await self._health(queries.replay_succeeded, manual_id)

    async def replay_failed(self, manual_id: uuid.UUID) -> float:
        return await self._health(queries.replay_failed, manual_id)

    async def _health(self, sql: str, manual_id: uuid.UUID) -> float:
        async with self._db.connection() as conn:
            cur = await conn.execute(sql, {"id": manual_id})
            row = await cur.fetchone()
        return float(row["health_score"]) if row else 0.0
