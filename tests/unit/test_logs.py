"""JSON log lines: one object per line, context fields carried, secrets never printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ghosthands import logs

SECRET = "sk-live-0123456789abcdef"
DSN_PASSWORD = "pg-pass-9876"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    logs.configure_logging(
        "api", "debug", [SECRET, f"postgresql://u:{DSN_PASSWORD}@db/x", DSN_PASSWORD]
    )
    yield stream
    logging.getLogger().handlers[:] = []


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_event_lines_carry_role_context_and_fields(captured: io.StringIO) -> None:
    log = logs.get_logger("ghosthands.test")
    with logs.log_context(job_id="j-1", request_id="r-1"):
        log.info("job_claimed", attempt=2)
    log.warning("outside")
    first, second = _lines(captured)
    assert first["event"] == "job_claimed"
    assert first["role"] == "api"
    assert first["job_id"] == "j-1" and first["request_id"] == "r-1"
    assert first["attempt"] == 2 and first["level"] == "info"
    assert "job_id" not in second


def test_secrets_are_redacted_everywhere(captured: io.StringIO) -> None:
    log = logs.get_logger("ghosthands.test")
    log.info("called", url=f"https://x/?key={SECRET}", headers={"Authorization": "Bearer abc.def"})
    log.info("nested", data={"password": "hunter2", "inner": [{"token": "t0k3n-value"}]})
    logging.getLogger("thirdparty").warning(
        "connect to postgresql://u:%s@db/x failed", DSN_PASSWORD
    )
    try:
        raise RuntimeError(f"boom {SECRET}")
    except RuntimeError:
        log.exception("failed")
    text = captured.getvalue()
    for needle in (SECRET, DSN_PASSWORD, "Bearer abc.def", "hunter2", "t0k3n-value"):
        assert needle not in text
    assert text.count(logs.REDACTED) >= 5
    assert len(_lines(captured)) == 4


def test_every_secret_setting_is_redacted_in_the_forms_it_is_written() -> None:
    import base64

    from ghosthands.config import load_settings
    from ghosthands.crypto import generate_key

    key = generate_key()
    hook = "whsec_" + base64.b64encode(b"sixteen-bytes-or-more").decode()
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://u:pw-1234@db/x",
            "GH_ENCRYPTION_KEY": key,
            "GH_WEBHOOK_SECRET": hook,
        }
    )
    values = settings.secret_values()
    raw = base64.b64decode(key) if len(key) != 64 else bytes.fromhex(key)
    for form in (
        "pw-1234",
        hook,
        hook.removeprefix("whsec_"),
        raw.hex(),
        base64.b64encode(raw).decode(),
    ):
        assert form in values
