"""``/api/v1/gh/users/{user_id}/usage``: month-to-date LLM spend against the tier budget.

A user may ask about themselves only (403 otherwise: the question is about *who* asks,
not about a resource whose existence could leak); the service caller about anyone.
"""

from __future__ import annotations

import datetime as dt
import uuid

from starlette.responses import Response

from ghosthands.api.errors import ApiError
from ghosthands.api.routes_jobs import PREFIX
from ghosthands.api.routing import Call, Endpoint, json_response
from ghosthands.api.schemas import Usage
from ghosthands.api.services import Services
from ghosthands.jobs.budgets import MONTHLY_BUDGET_CENTS, Tier


async def get_usage(call: Call[None, None]) -> Response:
    services: Services = call.services
    user_id: uuid.UUID = call.params["user_id"]
    caller = call.caller
    if not caller.is_service and caller.user_id != user_id:
        raise ApiError(403, "you may only read your own usage", code="forbidden")
    row = await services.submissions.month_usage(user_id)
    if row is not None:
        try:
            tier = Tier(row["tier"])
        except ValueError:
            tier = Tier.FREE
        period_start = row["period_start"]
        cost = float(row["cost_cents"])
        tokens, jobs = int(row["total_tokens"]), int(row["job_count"])
    else:
        tier = caller.tier if not caller.is_service else Tier.FREE
        period_start = dt.datetime.now(dt.UTC).date().replace(day=1)
        cost, tokens, jobs = 0.0, 0, 0
    budget = MONTHLY_BUDGET_CENTS[tier]
    return json_response(
        Usage(
            user_id=user_id,
            period_start=period_start,
            tier=tier,
            cost_cents=round(cost, 4),
            total_tokens=tokens,
            job_count=jobs,
            budget_cents=budget,
            remaining_cents=round(max(0.0, budget - cost), 4),
            percent_used=round(100.0 * cost / budget, 2) if budget else 100.0,
            budget_exceeded=cost >= budget,
        )
    )


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        f"{PREFIX}/users/{{user_id}}/usage",
        get_usage,
        "Month-to-date cost against the tier's monthly budget",
        "users",
        params={"user_id": uuid.UUID},
        responses={200: Usage},
        errors=(403,),
    ),
]
