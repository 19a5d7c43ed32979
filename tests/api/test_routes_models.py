"""``GET /api/v1/gh/models`` through the real app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ghosthands.api.app import create_app
from ghosthands.config import load_settings


@pytest.mark.anyio
async def test_models_lists_the_catalogue_with_prices_default_and_presets() -> None:
    settings = load_settings(
        {
            "GH_CUSTOM_MODEL_PRICES": '{"openai:qwen-max": [1.6, 6.4]}',
            "GH_SERVICE_SECRET": "models-test-key",
        }
    )
    app = create_app(settings, None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        anonymous = await client.get("/api/v1/gh/models")
        response = await client.get(
            "/api/v1/gh/models", headers={"X-GH-Service-Key": "models-test-key"}
        )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["default_model"] == "qwen-72b"
    by_alias = {m["alias"]: m for m in body["models"]}
    assert by_alias["qwen-72b"]["provider"] == "openai"
    assert by_alias["claude-sonnet"] == {
        "alias": "claude-sonnet",
        "provider": "anthropic",
        "model_id": "claude-sonnet-4-20250514",
        "vision": True,
        "input_usd_per_million": 3.0,
        "output_usd_per_million": 15.0,
        "custom": False,
    }
    assert by_alias["openai:qwen-max"]["custom"] is True
    assert body["presets"] == [
        {"quality": "speed", "job_budget_usd": 0.05},
        {"quality": "balanced", "job_budget_usd": 0.5},
        {"quality": "quality", "job_budget_usd": 1.0},
    ]


def test_a_bad_default_model_stops_serve_with_exit_78(gh_process: Any, database_url: str) -> None:
    proc = gh_process(
        "serve",
        DATABASE_URL=database_url,
        GH_SERVICE_SECRET="x" * 16,
        GH_DEFAULT_MODEL="no-such-model",
        GH_API_PORT="0",
    )
    assert proc.wait(timeout=30) == 78
    assert "GH_DEFAULT_MODEL" in proc.output
