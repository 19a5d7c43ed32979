"""Settings: the environment parsed once into one typed, immutable object.

Every variable is declared once in ``_FIELDS`` with its parser, default and whether it is
a secret. A missing or malformed value raises :class:`ConfigError`, whose message names
the variable and the problem and never contains a secret's value; the CLI turns it into
one line on stderr and exit code 78 (EX_CONFIG) so systemd does not restart-loop.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ghosthands.netguard import AllowList

EX_CONFIG = 78

ENVIRONMENTS = ("development", "production", "test")

#: The LLM wire formats GhostHands speaks (``openai`` covers every compatible server).
LLM_PROVIDERS = ("openai", "anthropic", "gemini")

#: Where artifacts live and resumes named by storage_path / s3_key come from:
#: ``database`` (artifacts in PostgreSQL, resumes from GH_RESUME_DIR), an S3-compatible
#: store, or Supabase Storage's REST API.
STORAGE_BACKENDS = ("database", "s3", "supabase")


class ConfigError(Exception):
    """A setting is missing or malformed. ``str()`` is safe to print."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"configuration error: {variable}: {problem}")
        self.variable = variable
        self.problem = problem


# -- parsers: each takes the raw string and returns a value or raises ValueError with a
# -- message that does not repeat the raw value (the caller decides whether it may).


def _str(raw: str) -> str:
    return raw


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number between {lo} and {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return parse


def _float_range(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"must be a number between {lo} and {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return parse


def _allow_list(raw: str) -> AllowList:
    return AllowList.parse(raw)


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise ValueError("is not a valid URL") from None
        if parts.scheme not in schemes:
            wanted = " or ".join(s + "://" for s in schemes)
            raise ValueError(f"must be a URL starting with {wanted}")
        if not parts.hostname and not (parts.scheme.startswith("postgres") and parts.query):
            raise ValueError("must name a host")
        return value

    return parse


_postgres_url = _url("postgres", "postgresql")
_http_url = _url("http", "https")


def _environment(raw: str) -> str:
    value = raw.strip().lower()
    aliases = {"dev": "development", "prod": "production"}
    value = aliases.get(value, value)
    if value not in ENVIRONMENTS:
        raise ValueError(f"must be one of {', '.join(ENVIRONMENTS)}")
    return value


def _encryption_keys(raw: str) -> tuple[bytes, ...]:
    """One 32-byte key, or several separated by commas (newest first) during rotation."""
    keys = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            keys.append(decode_key(part))
    if not keys:
        raise ValueError("must hold at least one key")
    return tuple(keys)


def decode_key(text: str) -> bytes:
    """A 32-byte AES-256 key written as 64 hex digits or base64."""
    text = text.strip()
    key: bytes | None = None
    if len(text) == 64:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = None
    if key is None:
        try:
            urlsafe = "-" in text or "_" in text
            padded = text + "=" * (-len(text) % 4)
            key = base64.b64decode(padded, altchars=b"-_" if urlsafe else None, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("must be 32 bytes written as 64 hex digits or base64") from None
    if len(key) != 32:
        raise ValueError(f"must decode to 32 bytes (got {len(key)})")
    return key


def _webhook_secret(raw: str) -> str:
    value = raw.strip()
    if not value.startswith("whsec_"):
        raise ValueError("must have the form whsec_<base64>")
    try:
        decoded = base64.b64decode(value[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ must be base64") from None
    if len(decoded) < 16:
        raise ValueError("must decode to at least 16 bytes")
    return value


def _model_prices(raw: str) -> tuple[tuple[str, float, float], ...]:
    """``{"provider:model-id": [usd_per_million_input, usd_per_million_output], ...}``."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError("must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    prices = []
    for key, value in data.items():
        provider, sep, model_id = key.partition(":")
        if not sep or not provider or not model_id:
            raise ValueError(f"key {key!r} must have the form provider:model-id")
        if provider not in LLM_PROVIDERS:
            raise ValueError(f"{key!r}: provider must be one of {', '.join(LLM_PROVIDERS)}")
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
            or not all(math.isfinite(v) and v >= 0 for v in value)
        ):
            raise ValueError(f"{key!r} must map to [usd_per_million_input, usd_per_million_output]")
        prices.append((key, float(value[0]), float(value[1])))
    return tuple(prices)


def _host_ports(raw: str) -> frozenset[str]:
    """``host:port`` pairs separated by commas, lower-cased."""
    items = set()
    for part in raw.split(","):
        part = part.strip().lower()
        if not part:
            continue
        host, sep, port = part.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port pairs separated by commas")
        items.add(f"{host.strip('[]')}:{int(port)}")
    return frozenset(items)


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return parse


def _nonempty(raw: str) -> str:
    if not raw.strip():
        raise ValueError("must not be empty")
    return raw.strip()


_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_")


def _bucket(raw: str) -> str:
    """A bucket name as S3 and Supabase accept it (lower case, digits, dots, dashes)."""
    value = raw.strip()
    if not (
        3 <= len(value) <= 63
        and set(value) <= _BUCKET_CHARS
        and value[0] not in ".-_"
        and value[-1] not in ".-_"
    ):
        raise ValueError("must be a bucket name: 3-63 lower-case letters, digits, '.', '-', '_'")
    return value


@dataclasses.dataclass(frozen=True)
class _Field:
    attr: str
    names: tuple[str, ...]  # first is canonical; later ones are accepted aliases
    parse: Callable[[str], Any]
    default: Any = None
    secret: bool = False


_FIELDS: tuple[_Field, ...] = (
    _Field("environment", ("GH_ENV", "NODE_ENV"), _environment, "production"),
    _Field("database_url", ("DATABASE_URL",), _postgres_url, None, secret=True),
    _Field("database_pool_url", ("DATABASE_POOL_URL",), _postgres_url, None, secret=True),
    _Field("api_pool_size", ("GH_API_POOL_SIZE",), _int_range(1, 100), 5),
    _Field("worker_pool_size", ("GH_WORKER_POOL_SIZE",), _int_range(1, 100), 5),
    _Field("supabase_url", ("SUPABASE_URL",), _http_url, None),
    _Field("supabase_service_key", ("SUPABASE_SERVICE_KEY",), _nonempty, None, secret=True),
    _Field("supabase_jwt_secret", ("SUPABASE_JWT_SECRET",), _nonempty, None, secret=True),
    _Field("supabase_jwks_url", ("SUPABASE_JWKS_URL",), _http_url, None),
    # Object storage (ghosthands.storage): where artifacts go and resumes come from.
    _Field("storage_backend", ("GH_STORAGE_BACKEND",), _choice(*STORAGE_BACKENDS), "database"),
    _Field("storage_bucket", ("GH_STORAGE_BUCKET", "GH_S3_BUCKET"), _bucket, None),
    _Field("resume_bucket", ("GH_RESUME_BUCKET",), _bucket, "resumes"),
    _Field("s3_endpoint_url", ("GH_S3_ENDPOINT_URL",), _http_url, None),
    _Field("s3_region", ("GH_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"), _nonempty, None),
    _Field("aws_access_key_id", ("AWS_ACCESS_KEY_ID",), _nonempty, None, secret=True),
    _Field("aws_secret_access_key", ("AWS_SECRET_ACCESS_KEY",), _nonempty, None, secret=True),
    _Field("aws_session_token", ("AWS_SESSION_TOKEN",), _nonempty, None, secret=True),
    _Field("signed_url_seconds", ("GH_SIGNED_URL_SECONDS",), _int_range(60, 604800), 3600),
    _Field("storage_timeout_seconds", ("GH_STORAGE_TIMEOUT_SECONDS",), _float_range(1, 600), 30.0),
    _Field("service_secret", ("GH_SERVICE_SECRET",), _nonempty, None, secret=True),
    _Field("encryption_keys", ("GH_ENCRYPTION_KEY",), _encryption_keys, (), secret=True),
    _Field("api_host", ("GH_API_HOST",), _nonempty, "127.0.0.1"),
    _Field("api_port", ("GH_API_PORT",), _int_range(0, 65535), 3100),
    _Field("worker_host", ("GH_WORKER_HOST",), _nonempty, "127.0.0.1"),
    _Field("worker_port", ("GH_WORKER_PORT",), _int_range(0, 65535), 3101),
    _Field("max_concurrent_jobs", ("MAX_CONCURRENT_JOBS",), _int_range(1, 64), 2),
    _Field("max_paused_jobs", ("GH_MAX_PAUSED_JOBS",), _int_range(0, 256), 8),
    _Field(
        "max_waiting_jobs_per_user", ("GH_MAX_WAITING_JOBS_PER_USER",), _int_range(1, 100000), 100
    ),
    _Field(
        "max_running_jobs_per_user", ("GH_MAX_RUNNING_JOBS_PER_USER",), _int_range(0, 100000), 10
    ),
    _Field("worker_id_prefix", ("GH_WORKER_ID_PREFIX",), _nonempty, "worker"),
    _Field("heartbeat_seconds", ("GH_HEARTBEAT_SECONDS",), _float_range(0.1, 3600), 30.0),
    _Field("stale_seconds", ("GH_STALE_SECONDS",), _float_range(0.5, 86400), 120.0),
    _Field("poll_seconds", ("GH_POLL_SECONDS",), _float_range(0.05, 300), 5.0),
    _Field("api_drain_seconds", ("GH_API_DRAIN_SECONDS",), _float_range(0, 600), 5.0),
    _Field("worker_drain_seconds", ("GH_WORKER_DRAIN_SECONDS",), _float_range(0, 3600), 30.0),
    _Field("affinity_grace_seconds", ("GH_AFFINITY_GRACE_SECONDS",), _float_range(0, 86400), 30.0),
    _Field("hitl_timeout_seconds", ("GH_HITL_TIMEOUT_SECONDS",), _float_range(1, 86400), 900.0),
    _Field("callback_timeout_seconds", ("GH_CALLBACK_TIMEOUT_SECONDS",), _float_range(1, 120), 10),
    _Field("callback_backoff_seconds", ("GH_CALLBACK_BACKOFF_SECONDS",), _float_range(0, 600), 5),
    _Field("callback_max_attempts", ("GH_CALLBACK_MAX_ATTEMPTS",), _int_range(1, 100), 15),
    _Field("google_api_key", ("GOOGLE_API_KEY",), _nonempty, None, secret=True),
    _Field("openai_api_key", ("OPENAI_API_KEY",), _nonempty, None, secret=True),
    _Field("anthropic_api_key", ("ANTHROPIC_API_KEY",), _nonempty, None, secret=True),
    _Field("openai_base_url", ("OPENAI_BASE_URL",), _http_url, "https://api.openai.com/v1"),
    _Field("anthropic_base_url", ("ANTHROPIC_BASE_URL",), _http_url, "https://api.anthropic.com"),
    _Field(
        "gemini_base_url",
        ("GEMINI_BASE_URL",),
        _http_url,
        "https://generativelanguage.googleapis.com",
    ),
    _Field("default_model", ("GH_DEFAULT_MODEL",), _nonempty, "qwen-72b"),
    _Field("custom_model_prices", ("GH_CUSTOM_MODEL_PRICES",), _model_prices, ()),
    _Field("llm_timeout_seconds", ("GH_LLM_TIMEOUT_SECONDS",), _float_range(1, 600), 60.0),
    _Field("llm_max_retries", ("GH_LLM_MAX_RETRIES",), _int_range(0, 10), 3),
    _Field("cors_origin", ("CORS_ORIGIN",), _str, None),
    _Field("allow_private_networks", ("GH_ALLOW_PRIVATE_NETWORKS",), _bool, False),
    _Field(
        "callback_allowed_networks",
        ("GH_CALLBACK_ALLOWED_NETWORKS",),
        _allow_list,
        AllowList(),
    ),
    _Field("webhook_secret", ("GH_WEBHOOK_SECRET",), _webhook_secret, None, secret=True),
    _Field("deploy_webhook_url", ("VALET_DEPLOY_WEBHOOK_URL",), _http_url, None),
    _Field("deploy_webhook_secret", ("VALET_DEPLOY_WEBHOOK_SECRET",), _nonempty, None, secret=True),
    _Field("browser_headless", ("GH_BROWSER_HEADLESS",), _bool, None),
    _Field("browser_executable", ("GH_BROWSER_EXECUTABLE",), _nonempty, None),
    _Field(
        "browser_engine", ("GH_BROWSER_ENGINE",), _choice("playwright", "patchright"), "playwright"
    ),
    _Field("browser_allowed_hosts", ("GH_BROWSER_ALLOWED_HOSTS",), _host_ports, frozenset()),
    _Field("browser_timeout_seconds", ("GH_BROWSER_TIMEOUT_SECONDS",), _float_range(1, 300), 30.0),
    _Field("resume_dir", ("GH_RESUME_DIR",), _nonempty, None),
    _Field("resume_max_bytes", ("GH_RESUME_MAX_BYTES",), _int_range(1024, 100 << 20), 10 << 20),
    _Field("max_body_bytes", ("GH_MAX_BODY_BYTES",), _int_range(1024, 64 << 20), 1 << 20),
    _Field("log_level", ("GH_LOG_LEVEL",), _nonempty, "info"),
    _Field("commit_sha", ("GH_COMMIT_SHA", "GIT_COMMIT_SHA"), _nonempty, "unknown"),
    _Field("enable_test_routes", ("GH_ENABLE_TEST_ROUTES",), _bool, False),
    _Field("sse_keepalive_seconds", ("GH_SSE_KEEPALIVE_SECONDS",), _float_range(0.05, 300), 15.0),
    _Field("max_streams", ("GH_MAX_STREAMS",), _int_range(1, 100000), 500),
    _Field("monitoring_cache_seconds", ("GH_MONITORING_CACHE_SECONDS",), _float_range(0, 60), 5.0),
    _Field("max_streams_per_user", ("GH_MAX_STREAMS_PER_USER",), _int_range(1, 1000), 5),
    _Field("stream_max_seconds", ("GH_STREAM_MAX_SECONDS",), _float_range(1, 86400), 1800.0),
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything GhostHands reads from its environment. Build with :func:`load_settings`."""

    environment: str = "production"
    database_url: str | None = None
    database_pool_url: str | None = None
    api_pool_size: int = 5
    worker_pool_size: int = 5
    supabase_url: str | None = None
    supabase_service_key: str | None = None
    supabase_jwt_secret: str | None = None
    #: Where asymmetric (ES256/RS256) user tokens' public keys are; default: the
    #: project's ``$SUPABASE_URL/auth/v1/.well-known/jwks.json``.
    supabase_jwks_url: str | None = None
    #: ``database`` (default: artifacts in PostgreSQL, resumes from GH_RESUME_DIR),
    #: ``s3`` (any S3-compatible store) or ``supabase`` (Supabase Storage at SUPABASE_URL).
    storage_backend: str = "database"
    #: The bucket artifacts (screenshots, ...) are uploaded to.
    storage_bucket: str | None = None
    #: The bucket resumes named by ``storage_path`` / ``s3_key`` are read from.
    resume_bucket: str = "resumes"
    #: An S3-compatible endpoint (MinIO, Supabase's /storage/v1/s3); AWS when unset.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    #: Unset: boto3's own chain (instance role, ~/.aws). Never logged.
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    #: How long signed artifact URLs (callbacks, API answers) stay valid.
    signed_url_seconds: int = 3600
    storage_timeout_seconds: float = 30.0
    service_secret: str | None = None
    encryption_keys: tuple[bytes, ...] = ()
    api_host: str = "127.0.0.1"
    api_port: int = 3100
    worker_host: str = "127.0.0.1"
    worker_port: int = 3101
    max_concurrent_jobs: int = 2
    #: Jobs waiting for a person that give their slot back (their browser context stays
    #: open); a pause beyond this keeps its slot.
    max_paused_jobs: int = 8
    #: Jobs a user (their own token, not the service) may have waiting to run at once.
    max_waiting_jobs_per_user: int = 100
    #: Jobs of one user the fleet runs at once (queued or running, all workers): a claim
    #: passes over a user with this many. 0: no cap.
    max_running_jobs_per_user: int = 10
    worker_id_prefix: str = "worker"
    heartbeat_seconds: float = 30.0
    stale_seconds: float = 120.0
    poll_seconds: float = 5.0
    api_drain_seconds: float = 5.0
    worker_drain_seconds: float = 30.0
    #: A job with worker_affinity 'preferred' waits this long for its target worker.
    affinity_grace_seconds: float = 30.0
    #: How long a paused job waits for a human before failing with hitl_timeout.
    hitl_timeout_seconds: float = 900.0
    callback_timeout_seconds: float = 10.0
    #: First retry delay of a callback; doubles per attempt (capped at an hour).
    callback_backoff_seconds: float = 5.0
    callback_max_attempts: int = 15
    google_api_key: str | None = None
    openai_api_key: str | None = None
    anthropic_api_key: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    gemini_base_url: str = "https://generativelanguage.googleapis.com"
    default_model: str = "qwen-72b"
    #: Prices for models outside the catalogue: (provider:model-id, usd/M in, usd/M out).
    custom_model_prices: tuple[tuple[str, float, float], ...] = ()
    llm_timeout_seconds: float = 60.0
    llm_max_retries: int = 3
    cors_origin: str | None = None
    allow_private_networks: bool = False
    #: Private hosts and networks callbacks may reach (VALET inside the VPC).
    callback_allowed_networks: AllowList = dataclasses.field(default_factory=AllowList)
    webhook_secret: str | None = None
    deploy_webhook_url: str | None = None
    deploy_webhook_secret: str | None = None
    browser_headless: bool | None = None
    browser_executable: str | None = None
    browser_engine: str = "playwright"
    browser_allowed_hosts: frozenset[str] = frozenset()
    browser_timeout_seconds: float = 30.0
    resume_dir: str | None = None
    resume_max_bytes: int = 10 << 20
    max_body_bytes: int = 1024 * 1024
    log_level: str = "info"
    commit_sha: str = "unknown"
    enable_test_routes: bool = False
    sse_keepalive_seconds: float = 15.0
    #: Open event streams this API process serves at once, and per user token.
    max_streams: int = 500
    #: How long the public monitoring routes share one read of the database.
    monitoring_cache_seconds: float = 5.0
    max_streams_per_user: int = 5
    #: A stream ends after this long (the client reconnects with Last-Event-ID).
    stream_max_seconds: float = 1800.0

    @property
    def headless(self) -> bool:
        """Headless unless set otherwise; development shows the browser when there is a
        display to show it on (a headed Chromium without one fails every job)."""
        if self.browser_headless is not None:
            return self.browser_headless
        if self.environment != "development":
            return True
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))

    @property
    def jwks_url(self) -> str | None:
        """The JWKS for ES256/RS256 user tokens: ``SUPABASE_JWKS_URL``, else the
        project's own under ``SUPABASE_URL``, else None (HS256 tokens only)."""
        if self.supabase_jwks_url:
            return self.supabase_jwks_url
        if self.supabase_url:
            return self.supabase_url.rstrip("/") + "/auth/v1/.well-known/jwks.json"
        return None

    @property
    def object_store(self) -> str | None:
        """The configured object store (``s3`` / ``supabase``), or None for the database."""
        return None if self.storage_backend == "database" else self.storage_backend

    @property
    def pool_url(self) -> str | None:
        """URL for pooled connections: the transaction pooler when configured."""
        return self.database_pool_url or self.database_url

    def secret_values(self) -> list[str]:
        """Every secret value set, for log redaction. Never log the result."""
        values: list[str] = []
        for field in _FIELDS:
            if not field.secret:
                continue
            value = getattr(self, field.attr)
            if isinstance(value, str) and value:
                values.append(value)
                if "://" in value:  # a DSN: its password on its own too
                    password = urlsplit(value).password
                    if password:
                        values.append(password)
                if value.startswith("whsec_"):  # the signing key without its prefix
                    values.append(value.removeprefix("whsec_"))
            elif isinstance(value, tuple):  # encryption keys: the forms they are written in
                for key in value:
                    if isinstance(key, bytes):
                        values += [key.hex(), base64.b64encode(key).decode()]
        return values

    def require(self, *attrs: str) -> None:
        """Fail with ConfigError naming the variable when any of ``attrs`` is unset."""
        by_attr = {f.attr: f for f in _FIELDS}
        for attr in attrs:
            if getattr(self, attr) in (None, (), ""):
                raise ConfigError(by_attr[attr].names[0], "is required but not set")


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a KEY=VALUE file (the format of docker's env_file and systemd)."""
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError("GH_ENV_FILE", f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError("GH_ENV_FILE", f"{path} line {number} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Parse settings from ``environ`` (default ``os.environ``) and an optional env file.

    Variables in the environment win over the file. An empty variable counts as unset.
    """
    env = dict(os.environ if environ is None else environ)
    file_name = env_file or (Path(env["GH_ENV_FILE"]) if env.get("GH_ENV_FILE") else None)
    if file_name is not None:
        for key, value in read_env_file(file_name).items():
            env.setdefault(key, value)

    values: dict[str, Any] = {}
    for field in _FIELDS:
        name = next((n for n in field.names if env.get(n, "") != ""), None)
        if name is None:
            values[field.attr] = field.default
            continue
        raw = env[name]
        try:
            values[field.attr] = field.parse(raw)
        except ValueError as exc:
            shown = "" if field.secret or len(raw) > 80 else f" (got {raw!r})"
            raise ConfigError(name, f"{exc}{shown}") from None
    settings = Settings(**values)
    _check_storage(settings)
    return settings


def _check_storage(settings: Settings) -> None:
    """What the chosen object store needs, named by variable."""
    backend = settings.storage_backend
    if backend == "database":
        return
    needed = ["storage_bucket"]
    if backend == "supabase":
        needed += ["supabase_url", "supabase_service_key"]
    try:
        settings.require(*needed)
    except ConfigError as exc:
        raise ConfigError(exc.variable, f"is required with GH_STORAGE_BACKEND={backend}") from None
    if backend == "s3" and bool(settings.aws_access_key_id) != bool(settings.aws_secret_access_key):
        missing = "AWS_SECRET_ACCESS_KEY" if settings.aws_access_key_id else "AWS_ACCESS_KEY_ID"
        raise ConfigError(missing, "is required when the other AWS key is set")
