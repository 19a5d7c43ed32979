"""Who is calling: the VALET service (shared secret) or a user (Supabase-style JWT).

- ``X-GH-Service-Key: <GH_SERVICE_SECRET>``, compared in constant time: the service
  caller, which may act for any user.
- ``Authorization: Bearer <JWT>``: verified locally: HS256 with ``SUPABASE_JWT_SECRET``
  (Supabase's legacy secret), or ES256 / RS256 with the public key named by the token's
  ``kid`` in the project's JWKS (``SUPABASE_JWKS_URL``, by default
  ``$SUPABASE_URL/auth/v1/.well-known/jwks.json``), fetched in a worker thread, cached
  for five minutes and fetched again when a token names a key not seen yet (rotation).
  ``sub`` (a UUID) is the user id; ``exp`` is required; ``aud`` must be
  ``authenticated`` when present (as Supabase issues it). The user's tier for rate
  limits comes from ``app_metadata.tier`` (which users cannot edit in Supabase), else
  ``free``.

A request with neither is 401. A wrong secret or a bad token is 401 too, with a message
that does not say which part was wrong beyond "invalid".
"""

from __future__ import annotations

import dataclasses
import hmac
import uuid
from typing import Any

import anyio.to_thread
import jwt
from starlette.requests import Request

from ghosthands.api.errors import ApiError
from ghosthands.config import Settings
from ghosthands.jobs.budgets import Tier
from ghosthands.logs import get_logger

log = get_logger(__name__)

SERVICE_KEY_HEADER = "X-GH-Service-Key"
#: Leeway for clock skew between the token issuer and us.
JWT_LEEWAY_SECONDS = 30
#: Signing algorithms whose keys come from the JWKS (Supabase's asymmetric keys).
ASYMMETRIC = ("ES256", "RS256")
#: How long fetched keys are trusted before the JWKS is read again.
JWKS_CACHE_SECONDS = 300


@dataclasses.dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    kind: str  # "service" | "user"
    user_id: uuid.UUID | None = None
    tier: Tier = Tier.FREE

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def owner(self) -> uuid.UUID | None:
        """Whose jobs this caller may touch: their own, or (service) anyone's."""
        return None if self.is_service else self.user_id

    @property
    def label(self) -> str:
        return "service" if self.is_service else f"user:{self.user_id}"


SERVICE = Principal("service")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, code="unauthorized", headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    """Verifies the credentials of a request against the configured secrets."""

    def __init__(self, settings: Settings) -> None:
        self._service_secret = (settings.service_secret or "").encode()
        self._jwt_secret = settings.supabase_jwt_secret
        url = settings.jwks_url
        self._jwks = (
            jwt.PyJWKClient(
                url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS, timeout=5, cooldown_duration=5
            )
            if url
            else None
        )

    async def authenticate(self, request: Request) -> Principal:
        """The caller, or ApiError(401)."""
        key = request.headers.get(SERVICE_KEY_HEADER)
        if key is not None:
            if self._service_secret and hmac.compare_digest(
                key.encode("utf-8", "surrogateescape"), self._service_secret
            ):
                return SERVICE
            raise _unauthorized("invalid service key")
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized("Authorization must be 'Bearer <token>'")
            return await self._user(token.strip())
        raise _unauthorized(f"authentication required ({SERVICE_KEY_HEADER} or Bearer token)")

    async def _verification_key(self, token: str) -> tuple[Any, str]:
        """The key and algorithm that must have signed ``token``."""
        try:
            algorithm = str(jwt.get_unverified_header(token).get("alg"))
        except jwt.InvalidTokenError:
            raise _unauthorized("invalid token") from None
        if algorithm in ASYMMETRIC:
            if self._jwks is None:
                raise _unauthorized(f"{algorithm} tokens are not accepted (no SUPABASE_JWKS_URL)")
            jwks = self._jwks
            try:
                found = await anyio.to_thread.run_sync(jwks.get_signing_key_from_jwt, token)
            except jwt.PyJWKClientConnectionError as exc:
                log.warning("jwks_unreachable", error=str(exc)[:200])
                raise ApiError(
                    503,
                    "the token's signing keys could not be fetched; try again",
                    code="service_unavailable",
                ) from None
            except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
                log.info("jwt_rejected", reason=type(exc).__name__)
                raise _unauthorized("invalid token") from None
            return found.key, algorithm
        if not self._jwt_secret:
            raise _unauthorized("user tokens are not accepted (SUPABASE_JWT_SECRET is not set)")
        return self._jwt_secret, "HS256"

    async def _user(self, token: str) -> Principal:
        key, algorithm = await self._verification_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options={"require": ["exp", "sub"], "verify_aud": False},
                leeway=JWT_LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("token expired") from None
        except jwt.InvalidTokenError as exc:
            log.info("jwt_rejected", reason=type(exc).__name__)
            raise _unauthorized("invalid token") from None
        audience = claims.get("aud")
        if audience is not None:
            audiences = [audience] if isinstance(audience, str) else audience
            if not isinstance(audiences, list) or "authenticated" not in audiences:
                raise _unauthorized("invalid token audience")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise _unauthorized("token subject is not a user id") from None
        return Principal("user", user_id, _tier(claims))


def _tier(claims: dict[str, Any]) -> Tier:
    app_metadata = claims.get("app_metadata")
    if isinstance(app_metadata, dict):
        try:
            return Tier(str(app_metadata.get("tier")))
        except ValueError:
            pass
    return Tier.FREE
