"""The model catalogue, model choice per job, and manual keys."""

from __future__ import annotations

import pytest

from ghosthands.config import ConfigError, load_settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import PROVIDERS, Catalogue
from ghosthands.llm.manuals import task_key, url_pattern


def test_shipped_catalogue_is_complete_and_has_the_default() -> None:
    catalogue = Catalogue.from_settings(load_settings({}))
    models = catalogue.models()
    assert {m.provider for m in models} == set(PROVIDERS)
    assert all(m.input_usd_per_m > 0 and m.output_usd_per_m > 0 for m in models)
    default = catalogue.resolve(None)
    assert default.alias == "qwen-72b" and default.provider == "openai"


def test_a_job_names_an_alias_or_a_priced_custom_model() -> None:
    settings = load_settings(
        {
            "GH_DEFAULT_MODEL": "claude-haiku",
            "GH_CUSTOM_MODEL_PRICES": '{"openai:qwen-max": [1.6, 6.4]}',
        }
    )
    catalogue = Catalogue.from_settings(settings)
    assert catalogue.resolve("").alias == "claude-haiku"
    assert catalogue.resolve("gemini-flash").model_id == "gemini-2.0-flash"
    custom = catalogue.resolve("openai:qwen-max")
    assert (custom.provider, custom.model_id, custom.vision) == ("openai", "qwen-max", False)
    assert (custom.input_usd_per_m, custom.output_usd_per_m) == (1.6, 6.4)

    with pytest.raises(JobFailure, match="no price") as caught:
        catalogue.resolve("anthropic:claude-opus-9")
    assert caught.value.code == ErrorCode.INVALID_INPUT
    with pytest.raises(JobFailure, match="unknown model"):
        catalogue.resolve("gpt-7-turbo")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("[1, 2]", "must be a JSON object"),
        ('{"gpt-5": [1, 2]}', "provider:model-id"),
        ('{"mistral:large": [1, 2]}', "provider must be one of"),
        ('{"openai:x": [1]}', "must map to"),
        ('{"openai:x": [1, -2]}', "must map to"),
        ('{"openai:x": ["1", "2"]}', "must map to"),
    ],
)
def test_bad_custom_prices_fail_at_start_up(raw: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        load_settings({"GH_CUSTOM_MODEL_PRICES": raw})
    assert caught.value.variable == "GH_CUSTOM_MODEL_PRICES"


def test_a_default_model_that_cannot_be_priced_fails_at_start_up() -> None:
    with pytest.raises(ConfigError) as caught:
        Catalogue.from_settings(load_settings({"GH_DEFAULT_MODEL": "openai:gpt-9"}))
    assert caught.value.variable == "GH_DEFAULT_MODEL"


GREENHOUSE = "https://Boards.Greenhouse.io/acme/jobs/4521987?gh_src=li"
LEVER = "https://jobs.lever.co/acme/3f2b8c1e-1d2a-4b5c-9d8e-0f1a2b3c4d5e/apply"
WORKDAY = "https://acme.wd5.myworkdayjobs.com/en-US/External/job/NYC/Engineer_R-10293"


@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        (GREENHOUSE, "boards.greenhouse.io/acme/jobs/*"),
        (LEVER, "jobs.lever.co/acme/*/apply"),
        (WORKDAY, "acme.wd5.myworkdayjobs.com/en-US/External/job/NYC/*"),
        ("http://127.0.0.1:8123/apply/", "127.0.0.1:8123/apply"),
        ("https://example.com", "example.com"),
    ],
)
def test_url_patterns_keep_the_site_and_drop_record_ids(url: str, pattern: str) -> None:
    assert url_pattern(url) == pattern


def test_task_keys_ignore_case_and_spacing_only() -> None:
    assert task_key("") == ""
    assert task_key("Apply  for the job") == task_key("apply for the job ")
    assert task_key("Apply for the job") != task_key("Apply for the other job")
