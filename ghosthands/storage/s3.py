"""Any S3-compatible store (AWS S3, MinIO, Supabase's S3 endpoint) through boto3.

boto3 is AWS's own, maintained client: request signing (SigV4), presigned URLs,
retries, credential chains (instance roles, ~/.aws) and every provider's quirks are
done right there rather than by hand. It is synchronous, so every call runs in a worker
thread (``anyio.to_thread``); one client serves all threads (boto3 clients are
thread-safe, its default session is not, so the store makes its own session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import boto3
import botocore.config
import botocore.exceptions

from ghosthands.storage.base import ObjectNotFound, ObjectTooLarge, StorageError, StoredObject

T = TypeVar("T")

_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})


class S3Store:
    """:class:`~ghosthands.storage.base.ObjectStore` over an S3-compatible endpoint."""

    kind = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.endpoint_url = endpoint_url
        self._region = region or "us-east-1"
        self._credentials = {
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "aws_session_token": session_token,
        }
        self._timeout = timeout_seconds
        self._client: Any = None
        self._lock = anyio.Lock()

    def __repr__(self) -> str:  # never the credentials
        return f"S3Store(endpoint_url={self.endpoint_url!r}, region={self._region!r})"

    def _make_client(self) -> Any:
        config = botocore.config.Config(
            connect_timeout=self._timeout,
            read_timeout=self._timeout,
            retries={"max_attempts": 3, "mode": "standard"},
            signature_version="s3v4",
            # MinIO, Supabase and most S3-compatible servers want path-style addresses.
            s3={"addressing_style": "path"} if self.endpoint_url else None,
        )
        session = boto3.session.Session()
        return session.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self._region,
            config=config,
            **{k: v for k, v in self._credentials.items() if v},
        )

    async def _call(self, what: str, bucket: str, key: str, fn: Callable[[Any], T]) -> T:
        async with self._lock:  # building a client loads its models: once, off the loop
            if self._client is None:
                self._client = await anyio.to_thread.run_sync(self._make_client)
        client = self._client
        try:
            return await anyio.to_thread.run_sync(lambda: fn(client))
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise ObjectNotFound(f"s3://{bucket}/{key}: {code}") from None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise StorageError(
                f"{what} s3://{bucket}/{key}: S3 answered {code or status}"
            ) from None
        except botocore.exceptions.BotoCoreError as exc:  # connection, credentials, ...
            raise StorageError(f"{what} s3://{bucket}/{key}: {type(exc).__name__}") from None

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        await self._call(
            "uploading",
            bucket,
            key,
            lambda c: c.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type),
        )

    async def get(self, bucket: str, key: str, *, max_bytes: int) -> StoredObject:
        def read(client: Any) -> StoredObject:
            answer = client.get_object(Bucket=bucket, Key=key)
            body = answer["Body"]
            try:
                if int(answer.get("ContentLength") or 0) > max_bytes:
                    raise ObjectTooLarge(f"s3://{bucket}/{key} is larger than {max_bytes} bytes")
                data = body.read(max_bytes + 1)
            finally:
                body.close()
            if len(data) > max_bytes:
                raise ObjectTooLarge(f"s3://{bucket}/{key} is larger than {max_bytes} bytes")
            return StoredObject(data, answer.get("ContentType"))

        return await self._call("downloading", bucket, key, read)

    async def signed_url(self, bucket: str, key: str, expires_in: int) -> str:
        url: str = await self._call(
            "signing",
            bucket,
            key,
            lambda c: c.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
            ),
        )
        return url

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await anyio.to_thread.run_sync(client.close)
