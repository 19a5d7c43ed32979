"""The model catalogue: which models a job may use, on which wire format, at what price.

The catalogue ships as data (``models.json``). A job names a model in
``input_data.model`` as an alias from the catalogue, or as ``provider:model-id`` for a
model outside it, which must then be priced in ``GH_CUSTOM_MODEL_PRICES``: a model we
cannot price is refused, because an unpriced call would escape the cost limits.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from importlib import resources

import msgspec

from ghosthands.config import LLM_PROVIDERS, ConfigError, Settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode

#: The wire formats we speak. ``openai`` covers every OpenAI-compatible endpoint.
PROVIDERS = LLM_PROVIDERS

_MILLION = Decimal(1_000_000)
#: Costs are kept to 1/10000 of a cent, the precision of the jobs table's cost columns.
CENT_QUANTUM = Decimal("0.0001")


class ModelSpec(msgspec.Struct, frozen=True):
    """One model: how to reach it and what a token costs."""

    alias: str
    provider: str
    model_id: str
    vision: bool
    input_usd_per_m: float
    output_usd_per_m: float

    def price_cents(self, input_tokens: int, output_tokens: int) -> Decimal:
        """The price of a call, in cents, rounded *up* to 1/10000 of a cent.

        Rounding up per call makes the sum of recorded calls an upper bound of the
        true spend, and makes the job row (numeric(12,4)) hold exactly what we summed.
        """
        usd = (
            Decimal(input_tokens) * Decimal(str(self.input_usd_per_m))
            + Decimal(output_tokens) * Decimal(str(self.output_usd_per_m))
        ) / _MILLION
        return (usd * 100).quantize(CENT_QUANTUM, rounding=decimal.ROUND_CEILING)


class _CatalogueFile(msgspec.Struct):
    models: list[ModelSpec]


class Catalogue:
    """The models a job may name, by alias, plus the operator's priced custom models."""

    def __init__(
        self,
        models: list[ModelSpec],
        *,
        default_alias: str,
        custom_prices: tuple[tuple[str, float, float], ...] = (),
    ) -> None:
        self._by_alias: dict[str, ModelSpec] = {}
        for spec in models:
            if spec.provider not in PROVIDERS:
                raise ValueError(f"model {spec.alias!r}: unknown provider {spec.provider!r}")
            if spec.alias in self._by_alias:
                raise ValueError(f"model alias {spec.alias!r} listed twice")
            self._by_alias[spec.alias] = spec
        self._custom: dict[str, ModelSpec] = {}
        for key, price_in, price_out in custom_prices:
            provider, _, model_id = key.partition(":")
            if provider not in PROVIDERS:
                raise ConfigError(
                    "GH_CUSTOM_MODEL_PRICES",
                    f"{key!r}: unknown provider {provider!r} (use one of {', '.join(PROVIDERS)})",
                )
            self._custom[key] = ModelSpec(key, provider, model_id, False, price_in, price_out)
        self.default_alias = default_alias
        if self._lookup(default_alias) is None:
            raise ConfigError(
                "GH_DEFAULT_MODEL",
                f"{default_alias!r} is neither a catalogue alias nor a priced custom model",
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> Catalogue:
        """The shipped catalogue with the operator's default and custom prices."""
        raw = resources.files("ghosthands.llm").joinpath("models.json").read_bytes()
        shipped = msgspec.json.decode(raw, type=_CatalogueFile)
        return cls(
            shipped.models,
            default_alias=settings.default_model,
            custom_prices=settings.custom_model_prices,
        )

    def models(self) -> list[ModelSpec]:
        """Every model a job may name: the catalogue, then the priced custom models."""
        return [*self._by_alias.values(), *self._custom.values()]

    def _lookup(self, name: str) -> ModelSpec | None:
        return self._by_alias.get(name) or self._custom.get(name)

    def resolve(self, name: str | None) -> ModelSpec:
        """The model a job asked for (None: the default). Unknown or unpriced: refused."""
        name = (name or "").strip() or self.default_alias
        spec = self._lookup(name)
        if spec is not None:
            return spec
        provider, sep, model_id = name.partition(":")
        if sep and provider in PROVIDERS and model_id:
            raise JobFailure(
                ErrorCode.INVALID_INPUT,
                f"model {name!r} has no price: add it to GH_CUSTOM_MODEL_PRICES to allow it",
                details={"model": name},
                retryable=False,
            )
        raise JobFailure(
            ErrorCode.INVALID_INPUT,
            f"unknown model {name!r}: use a catalogue alias (GET /api/v1/gh/models) "
            "or provider:model-id",
            details={"model": name},
            retryable=False,
        )
