"""``GET /api/v1/gh/models``: the model catalogue with prices, the default and presets.

Unauthenticated for now (it exposes prices, no user data); the API's auth layer is
expected to wrap it like every other ``/api/v1/gh`` route.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ghosthands.config import Settings
from ghosthands.jobs.budgets import JOB_BUDGET_CENTS
from ghosthands.llm.catalogue import Catalogue


class ModelBody(msgspec.Struct):
    alias: str
    provider: str
    model_id: str
    vision: bool
    input_usd_per_million: float
    output_usd_per_million: float
    #: True for models priced by GH_CUSTOM_MODEL_PRICES rather than the catalogue.
    custom: bool


class PresetBody(msgspec.Struct):
    quality: str
    job_budget_usd: float


class ModelsBody(msgspec.Struct):
    default_model: str
    models: list[ModelBody]
    presets: list[PresetBody]


def models_body(catalogue: Catalogue) -> ModelsBody:
    return ModelsBody(
        default_model=catalogue.default_alias,
        models=[
            ModelBody(
                alias=m.alias,
                provider=m.provider,
                model_id=m.model_id,
                vision=m.vision,
                input_usd_per_million=m.input_usd_per_m,
                output_usd_per_million=m.output_usd_per_m,
                custom=":" in m.alias,
            )
            for m in catalogue.models()
        ],
        presets=[
            PresetBody(quality=q.value, job_budget_usd=cents / 100)
            for q, cents in JOB_BUDGET_CENTS.items()
        ],
    )


def make_routes(settings: Settings) -> list[BaseRoute]:
    """The route, with the catalogue built now so a bad GH_CUSTOM_MODEL_PRICES or
    GH_DEFAULT_MODEL stops the API at start-up instead of failing requests."""
    body = msgspec.json.encode(models_body(Catalogue.from_settings(settings)))

    async def list_models(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return [Route("/api/v1/gh/models", list_models, methods=["GET"])]
