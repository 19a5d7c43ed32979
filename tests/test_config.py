"""Settings parsing: defaults, aliases, env files, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghosthands.config import ConfigError, load_settings

SECRET = "s3cr3t-value-never-printed"


def test_defaults_follow_the_seed() -> None:
    settings = load_settings({})
    assert settings.api_port == 3100
    assert settings.worker_port == 3101
    assert settings.max_concurrent_jobs == 2
    assert settings.default_model == "qwen-72b"
    assert settings.heartbeat_seconds == 30
    assert settings.stale_seconds == 120
    assert settings.api_drain_seconds == 5
    assert settings.worker_drain_seconds == 30
    assert settings.allow_private_networks is False
    assert settings.environment == "production"
    assert settings.headless is True


def test_node_env_is_accepted_and_gh_env_wins() -> None:
    assert load_settings({"NODE_ENV": "development"}).environment == "development"
    assert load_settings({"NODE_ENV": "development", "GH_ENV": "test"}).environment == "test"


def test_development_is_headed_only_with_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert load_settings({"NODE_ENV": "development"}).headless is False
    monkeypatch.delenv("DISPLAY")
    assert load_settings({"NODE_ENV": "development"}).headless is True
    assert (
        load_settings({"GH_ENV": "development", "GH_BROWSER_HEADLESS": "false"}).headless is False
    )


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("GH_API_PORT", "abc", "whole number"),
        ("GH_API_PORT", "70000", "between 0 and 65535"),
        ("MAX_CONCURRENT_JOBS", "0", "between 1 and 64"),
        ("DATABASE_URL", "mysql://x/y", "postgres"),
        ("GH_ALLOW_PRIVATE_NETWORKS", "maybe", "true or false"),
        ("GH_ENCRYPTION_KEY", "tooshort", "32 bytes"),
        ("GH_WEBHOOK_SECRET", "plain", "whsec_"),
        ("NODE_ENV", "staging", "one of"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    assert info.value.variable == name
    assert name in str(info.value)
    assert problem in str(info.value)


def test_secret_values_are_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"DATABASE_URL": f"mysql://user:{SECRET}@host/db"})
    assert SECRET not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings({"GH_ENCRYPTION_KEY": SECRET})
    assert SECRET not in str(info.value)


def test_encryption_key_accepts_hex_base64_and_a_rotation_list() -> None:
    hex_key = "ab" * 32
    b64_key = "q" * 43 + "="
    settings = load_settings({"GH_ENCRYPTION_KEY": f"{hex_key},{b64_key}"})
    assert len(settings.encryption_keys) == 2
    assert all(len(k) == 32 for k in settings.encryption_keys)


def test_require_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL: is required"):
        load_settings({}).require("database_url")


def test_env_file_fills_what_the_environment_lacks(tmp_path: Path) -> None:
    env_file = tmp_path / "ghosthands.env"
    env_file.write_text(
        "# comment\nexport GH_API_PORT=4100\nMAX_CONCURRENT_JOBS='3'\nGH_WORKER_PORT=4101\n"
    )
    settings = load_settings({"GH_WORKER_PORT": "5101"}, env_file=env_file)
    assert settings.api_port == 4100
    assert settings.max_concurrent_jobs == 3
    assert settings.worker_port == 5101  # the environment wins


def test_env_file_errors_name_the_line(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("GOOD=1\nthis is not an assignment\n")
    with pytest.raises(ConfigError, match="line 2"):
        load_settings({}, env_file=env_file)


def test_secret_values_include_the_dsn_password() -> None:
    settings = load_settings(
        {"DATABASE_URL": f"postgresql://u:{SECRET}@db/x", "GH_SERVICE_SECRET": "svc-secret"}
    )
    values = settings.secret_values()
    assert SECRET in values
    assert "svc-secret" in values
