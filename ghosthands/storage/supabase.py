"""Supabase Storage through its REST API (``<SUPABASE_URL>/storage/v1``), with httpx.

The wire format (supabase/storage's object routes, as supabase-js and storage-py use them):

- download: ``GET /object/{bucket}/{key}``;
- upload: ``POST /object/{bucket}/{key}``, the raw bytes as body, ``content-type`` of the
  object and ``x-upsert: true`` to replace an existing one;
- signed URL: ``POST /object/sign/{bucket}/{key}`` with ``{"expiresIn": seconds}``,
  answered ``{"signedURL": "/object/sign/{bucket}/{key}?token=..."}``, relative to
  ``/storage/v1``: anyone may GET the absolute form until it expires.

Requests carry the service key as ``Authorization: Bearer`` and as ``apikey`` (the API
gateway in front of Supabase wants the latter). Errors are JSON
``{"statusCode": "404", "error": ..., "message": ...}``; older servers answer a missing
object with HTTP 400 and ``statusCode: "404"`` in the body, newer ones with 404.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from ghosthands.storage.base import ObjectNotFound, ObjectTooLarge, StorageError, StoredObject


def _path(bucket: str, key: str) -> str:
    return f"{quote(bucket, safe='')}/{quote(key, safe='/')}"


class SupabaseStore:
    """:class:`~ghosthands.storage.base.ObjectStore` over Supabase Storage's REST API."""

    kind = "supabase"

    def __init__(self, url: str, service_key: str, *, timeout_seconds: float = 30.0) -> None:
        self.base_url = url.rstrip("/") + "/storage/v1"
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"authorization": f"Bearer {service_key}", "apikey": service_key},
            timeout=timeout_seconds,
            follow_redirects=False,  # a redirect could carry the service key elsewhere
        )

    def __repr__(self) -> str:  # never the key
        return f"SupabaseStore({self.base_url!r})"

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        response = await self._send(
            "uploading",
            bucket,
            key,
            "POST",
            f"/object/{_path(bucket, key)}",
            content=data,
            headers={"content-type": content_type, "x-upsert": "true"},
        )
        _check(response, "uploading", bucket, key)

    async def get(self, bucket: str, key: str, *, max_bytes: int) -> StoredObject:
        where = f"supabase://{bucket}/{key}"
        try:
            async with self._client.stream("GET", f"/object/{_path(bucket, key)}") as response:
                if response.status_code != 200:
                    await response.aread()
                    _check(response, "downloading", bucket, key)
                if int(response.headers.get("content-length") or 0) > max_bytes:
                    raise ObjectTooLarge(f"{where} is larger than {max_bytes} bytes")
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise ObjectTooLarge(f"{where} is larger than {max_bytes} bytes")
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
        except httpx.HTTPError as exc:
            raise StorageError(f"downloading {where}: {type(exc).__name__}") from None
        return StoredObject(bytes(data), content_type or None)

    async def signed_url(self, bucket: str, key: str, expires_in: int) -> str:
        response = await self._send(
            "signing",
            bucket,
            key,
            "POST",
            f"/object/sign/{_path(bucket, key)}",
            json={"expiresIn": expires_in},
        )
        _check(response, "signing", bucket, key)
        try:
            signed = response.json()["signedURL"]
        except (ValueError, KeyError, TypeError):
            raise StorageError(f"signing supabase://{bucket}/{key}: no signedURL") from None
        if not isinstance(signed, str) or not signed:
            raise StorageError(f"signing supabase://{bucket}/{key}: no signedURL")
        if signed.startswith(("http://", "https://")):
            return signed
        return self.base_url + "/" + signed.lstrip("/")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(
        self, what: str, bucket: str, key: str, method: str, url: str, **kwargs: object
    ) -> httpx.Response:
        try:
            return await self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise StorageError(f"{what} supabase://{bucket}/{key}: {type(exc).__name__}") from None


def _check(response: httpx.Response, what: str, bucket: str, key: str) -> None:
    """Raise the error a non-2xx answer means (never echoing request headers)."""
    if response.is_success:
        return
    where = f"supabase://{bucket}/{key}"
    code, message = str(response.status_code), ""
    try:
        body = response.json()
        if isinstance(body, dict):
            code = str(body.get("statusCode") or code)
            message = str(body.get("message") or body.get("error") or "")[:200]
    except ValueError:
        pass
    if response.status_code == 404 or code == "404":
        raise ObjectNotFound(f"{where}: {message or 'not found'}")
    detail = f": {message}" if message else ""
    raise StorageError(f"{what} {where}: Supabase Storage answered {response.status_code}{detail}")
