"""Provider clients, one module per wire format, and :func:`open_client` to pick one."""

from __future__ import annotations

import httpx

from ghosthands.config import Settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.providers.anthropic import AnthropicClient
from ghosthands.llm.providers.base import CallMeter, ProviderClient, RetryPolicy
from ghosthands.llm.providers.gemini import GeminiClient
from ghosthands.llm.providers.openai import OpenAIClient

__all__ = [
    "AnthropicClient",
    "CallMeter",
    "GeminiClient",
    "OpenAIClient",
    "ProviderClient",
    "RetryPolicy",
    "open_client",
]

#: provider -> (client class, settings attribute of the key, its variable, base URL attribute)
_PROVIDERS: dict[str, tuple[type[ProviderClient], str, str, str]] = {
    "openai": (OpenAIClient, "openai_api_key", "OPENAI_API_KEY", "openai_base_url"),
    "anthropic": (AnthropicClient, "anthropic_api_key", "ANTHROPIC_API_KEY", "anthropic_base_url"),
    "gemini": (GeminiClient, "google_api_key", "GOOGLE_API_KEY", "gemini_base_url"),
}


def open_client(
    model: ModelSpec,
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    retry: RetryPolicy | None = None,
) -> ProviderClient:
    """The client for ``model``'s provider, with the key and base URL from settings.

    A missing key fails the job (``llm_error``, not retried) naming the variable to set.
    """
    cls, key_attr, key_var, base_attr = _PROVIDERS[model.provider]
    api_key = getattr(settings, key_attr)
    if not api_key:
        raise JobFailure(
            ErrorCode.LLM_ERROR,
            f"model {model.alias!r} needs {key_var}, which is not set",
            details={"provider": model.provider},
            retryable=False,
        )
    return cls(
        model,
        api_key=api_key,
        base_url=getattr(settings, base_attr),
        http=http,
        timeout=settings.llm_timeout_seconds,
        retry=retry or RetryPolicy(max_retries=settings.llm_max_retries),
    )
