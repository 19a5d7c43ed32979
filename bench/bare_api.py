"""The API baseline: a bare Starlette app on Hypercorn doing the same single INSERT and
SELECT as POST /jobs and GET /jobs/{id}, with no auth, validation, logging or metrics.

``python -m bench.bare_api PORT DSN``
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from hypercorn.asyncio import serve
from hypercorn.config import Config
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

INSERT = (
    "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, input_data, created_by)"
    " VALUES (%(user_id)s, %(job_type)s, %(target_url)s, %(input_data)s, 'api')"
    " RETURNING id, status, created_at"
)
SELECT = "SELECT * FROM gh_automation_jobs WHERE id = %(id)s"


def build(dsn: str) -> Starlette:
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        dsn,
        min_size=5,
        max_size=5,
        open=False,
        kwargs={"row_factory": dict_row, "autocommit": True},
    )

    async def create(request: Request) -> Response:
        body = json.loads(await request.body())
        async with pool.connection() as conn:
            cur = await conn.execute(
                INSERT,
                {
                    "user_id": body["user_id"],
                    "job_type": body["job_type"],
                    "target_url": body["target_url"],
                    "input_data": json.dumps(body.get("input_data", {})),
                },
            )
            row = await cur.fetchone()
        assert row is not None
        return JSONResponse(
            {
                "id": str(row["id"]),
                "status": row["status"],
                "created_at": row["created_at"].isoformat(),
            },
            status_code=201,
        )

    async def read(request: Request) -> Response:
        async with pool.connection() as conn:
            cur = await conn.execute(SELECT, {"id": uuid.UUID(request.path_params["job_id"])})
            row = await cur.fetchone()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return Response(json.dumps(row, default=str), media_type="application/json")

    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await pool.open()
        yield
        await pool.close()

    return Starlette(
        routes=[
            Route("/jobs", create, methods=["POST"]),
            Route("/jobs/{job_id}", read, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    port, dsn = int(sys.argv[1]), sys.argv[2]
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(serve(build(dsn), config))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
