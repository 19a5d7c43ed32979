"""``GET /api/v1/gh/models``: the model catalogue with prices, the default and presets.

Any authenticated caller may read it. The catalogue is built once, when the app is
built, so a bad ``GH_DEFAULT_MODEL`` or ``GH_CUSTOM_MODEL_PRICES`` stops start-up.
"""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from ghosthands.api.routes_jobs import PREFIX
from ghosthands.api.routing import Call, Endpoint, json_response
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


async def list_models(call: Call[None, None]) -> Response:
    return json_response(models_body(call.services.catalogue))


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        f"{PREFIX}/models",
        list_models,
        "The model catalogue with prices, the default model and the quality presets",
        "models",
        responses={200: ModelsBody},
    ),
]
