"""User tokens signed with Supabase's asymmetric keys (ES256, RS256), verified against the
project's JWKS: through a real ``ghosthands serve`` and a JWKS served on 127.0.0.1.

The JWKS server is the test's: it serves whichever keys the test says, and counts how
often it was asked (the keys are cached; a new ``kid`` is fetched once: rotation).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.api.conftest import PREFIX, Client
from tests.llm.conftest import LocalServer, Recorded, Reply


class Jwks:
    """The keys the JWKS endpoint serves, changeable by the test."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.server = LocalServer(self.respond)

    def respond(self, request: Recorded) -> Reply:
        if request.path != "/auth/v1/.well-known/jwks.json":
            return Reply(404, {"error": "not found"})
        return Reply(200, {"keys": self.keys})

    def publish(self, kid: str, public_jwk: str, algorithm: str) -> None:
        self.keys.append({**json.loads(public_jwk), "kid": kid, "alg": algorithm, "use": "sig"})

    def fetches(self) -> int:
        return sum(1 for r in self.server.requests if r.path.endswith("jwks.json"))


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    served = Jwks()
    yield served
    served.server.close()


def token(key: Any, algorithm: str, kid: str, user_id: uuid.UUID, **claims: Any) -> str:
    payload = {
        "sub": str(user_id),
        "aud": "authenticated",
        "exp": int(time.time() + 600),
        "app_metadata": {"tier": "pro"},
        **claims,
    }
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid})


def usage(base_url: str, bearer: str, user_id: uuid.UUID) -> Any:
    client = Client(base_url, {"Authorization": f"Bearer {bearer}"})
    try:
        return client.get(f"{PREFIX}/users/{user_id}/usage")
    finally:
        client.close()


def test_es256_and_rs256_tokens_from_the_projects_jwks_with_rotation(
    start_api: Any, jwks: Jwks
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks.publish("ec-1", ECAlgorithm.to_jwk(ec_key.public_key()), "ES256")
    api = start_api(SUPABASE_URL=jwks.server.url)  # the JWKS is found under the project
    alice = uuid.uuid4()

    answer = usage(api.base_url, token(ec_key, "ES256", "ec-1", alice), alice)
    assert answer.status_code == 200, answer.text
    assert answer.json()["tier"] == "pro"  # app_metadata from the verified token
    assert jwks.fetches() == 1
    again = usage(api.base_url, token(ec_key, "ES256", "ec-1", alice), alice)
    assert again.status_code == 200 and jwks.fetches() == 1  # cached

    # Rotation: a new RS256 key is published. A token naming it makes the server read
    # the JWKS again, at most once per cool-down (so random key ids cannot make it fetch
    # on every request): accepted within a few seconds, with one more fetch.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks.publish("rsa-2", RSAAlgorithm.to_jwk(rsa_key.public_key()), "RS256")
    rotated_token = token(rsa_key, "RS256", "rsa-2", alice)
    deadline = time.monotonic() + 20
    while (rotated := usage(api.base_url, rotated_token, alice)).status_code != 200:
        assert rotated.status_code == 401, rotated.text
        assert time.monotonic() < deadline, "the rotated key was never fetched"
        time.sleep(0.5)
    assert jwks.fetches() == 2

    # A token signed by a key the project never published, or claiming another key's
    # id, or expired, is refused like any bad token.
    stranger = ec.generate_private_key(ec.SECP256R1())
    for bad in (
        token(stranger, "ES256", "ec-1", alice),
        token(stranger, "ES256", "unknown-kid", alice),
        token(ec_key, "ES256", "ec-1", alice, exp=int(time.time() - 3600)),
    ):
        refused = usage(api.base_url, bad, alice)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthorized"
    # HS256 tokens with the legacy secret still work beside them.
    assert api.user(alice).get(f"{PREFIX}/users/{alice}/usage").status_code == 200


def test_an_unreachable_jwks_is_a_503_not_a_401(start_api: Any, jwks: Jwks) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwks.server.close()  # nothing answers there any more
    api = start_api(SUPABASE_JWKS_URL=f"{jwks.server.url}/auth/v1/.well-known/jwks.json")
    user = uuid.uuid4()
    answer = usage(api.base_url, token(key, "ES256", "k", user), user)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "service_unavailable"


def test_without_any_jwks_an_asymmetric_token_is_refused_clearly(start_api: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    api = start_api()
    user = uuid.uuid4()
    answer = usage(api.base_url, token(key, "ES256", "k", user), user)
    assert answer.status_code == 401
    assert "SUPABASE_JWKS_URL" in answer.json()["message"]
