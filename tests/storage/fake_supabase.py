"""A local server speaking Supabase Storage's REST wire format, objects kept in memory.

The routes and answers of supabase/storage's object API, as far as GhostHands uses them:
upload (``POST /storage/v1/object/{bucket}/{key}``, raw body, ``x-upsert``), download
(``GET`` the same path), sign (``POST /storage/v1/object/sign/{bucket}/{key}`` with
``{"expiresIn": n}`` -> ``{"signedURL": "/object/sign/...?token=..."}``) and the signed
download (``GET /storage/v1/object/sign/{bucket}/{key}?token=...``, no key needed).
Every other request must carry the service key as ``Authorization: Bearer`` and
``apikey``; a missing object answers 400 with ``statusCode: "404"`` as older servers do.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Stored:
    data: bytes
    content_type: str


@dataclass
class FakeSupabaseStorage:
    service_key: str
    #: (bucket, key) -> object; buckets must exist first (``buckets``).
    objects: dict[tuple[str, str], Stored] = field(default_factory=dict)
    buckets: set[str] = field(default_factory=set)
    #: token -> (bucket, key, expires at, the expiresIn asked for)
    tokens: dict[str, tuple[str, str, float, int]] = field(default_factory=dict)
    #: Every request: (method, path, authorised)
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/storage/v1/object/sign/{bucket}/{key:path}", self.sign, methods=["POST"]),
                Route("/storage/v1/object/sign/{bucket}/{key:path}", self.signed, methods=["GET"]),
                Route("/storage/v1/object/{bucket}/{key:path}", self.upload, methods=["POST"]),
                Route("/storage/v1/object/{bucket}/{key:path}", self.download, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        ok = (
            request.headers.get("authorization") == f"Bearer {self.service_key}"
            and request.headers.get("apikey") == self.service_key
        )
        with self.lock:
            self.requests.append((request.method, request.url.path, ok))
        return ok

    @staticmethod
    def _error(status: int, code: str, error: str, message: str) -> Response:
        return JSONResponse(
            {"statusCode": code, "error": error, "message": message}, status_code=status
        )

    def _missing(self, bucket: str, key: str) -> Response | None:
        if bucket not in self.buckets:
            return self._error(400, "404", "Bucket not found", "Bucket not found")
        if (bucket, key) not in self.objects:
            return self._error(400, "404", "not_found", "Object not found")
        return None

    async def upload(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(400, "403", "Unauthorized", "invalid signature")
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        if bucket not in self.buckets:
            return self._error(400, "404", "Bucket not found", "Bucket not found")
        if (bucket, key) in self.objects and request.headers.get("x-upsert") != "true":
            return self._error(400, "409", "Duplicate", "The resource already exists")
        body = await request.body()
        self.objects[(bucket, key)] = Stored(
            body, request.headers.get("content-type", "application/octet-stream")
        )
        return JSONResponse({"Key": f"{bucket}/{key}", "Id": secrets.token_hex(8)})

    async def download(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(400, "403", "Unauthorized", "invalid signature")
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        missing = self._missing(bucket, key)
        if missing is not None:
            return missing
        stored = self.objects[(bucket, key)]
        return Response(stored.data, media_type=stored.content_type)

    async def sign(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(400, "403", "Unauthorized", "invalid signature")
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        missing = self._missing(bucket, key)
        if missing is not None:
            return missing
        body = await request.json()
        expires_in = body.get("expiresIn")
        if not isinstance(expires_in, int) or expires_in < 1:
            return self._error(400, "400", "invalid_request", "expiresIn must be an integer")
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (bucket, key, time.time() + expires_in, expires_in)
        return JSONResponse({"signedURL": f"/object/sign/{bucket}/{key}?token={token}"})

    async def signed(self, request: Request) -> Response:
        with self.lock:
            self.requests.append((request.method, request.url.path, True))
            grant = self.tokens.get(request.query_params.get("token", ""))
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        if grant is None or grant[:2] != (bucket, key):
            return self._error(400, "400", "InvalidSignature", "The url do not match the signature")
        if grant[2] < time.time():
            return self._error(400, "400", "InvalidJWT", "jwt expired")
        stored = self.objects[(bucket, key)]
        return Response(stored.data, media_type=stored.content_type)
