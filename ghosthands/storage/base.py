"""The one small interface every object store backend implements, and what they share:
errors, stored objects, key rules and locators.

A *key* is an object's name inside a bucket (``<user_id>/resume.pdf``). A *locator* names
an object in a particular store, ``<backend>://<bucket>/<key>``; it is what
``gh_artifacts.storage_url`` holds, so an artifact stays findable whatever the settings
say later, and a store can tell whether an object is its own to sign.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

#: Longest key accepted (S3's limit, in characters rather than UTF-8 bytes).
MAX_KEY_LENGTH = 1024


class StorageError(Exception):
    """The store could not be reached or refused a request. ``str()`` holds no secret."""


class ObjectNotFound(StorageError):
    """No object under that key (or no such bucket)."""


class ObjectTooLarge(StorageError):
    """The object is larger than the caller allows."""


class StoredObject(msgspec.Struct, frozen=True):
    """An object's bytes and the content type the store recorded for it."""

    data: bytes
    content_type: str | None = None


class ObjectStore(Protocol):
    """A backend: any S3-compatible store (:mod:`.s3`) or Supabase Storage (:mod:`.supabase`)."""

    #: The locator scheme: ``s3`` or ``supabase``.
    kind: str

    async def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        ...

    async def get(self, bucket: str, key: str, *, max_bytes: int) -> StoredObject:
        """The object's bytes; ObjectNotFound, ObjectTooLarge past ``max_bytes``."""
        ...

    async def signed_url(self, bucket: str, key: str, expires_in: int) -> str:
        """An absolute URL anyone holding it may GET the object with, for ``expires_in`` s."""
        ...

    async def aclose(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...


def check_key(key: str) -> str:
    """``key`` if it is a plain relative object key; ValueError naming the problem.

    Refused: absolute keys, ``.`` / ``..`` segments, empty segments, backslashes and
    control characters. Stores take keys literally, but a key that reads like a path
    escape is never what a caller meant, and some gateways normalise them.
    """
    if not key:
        raise ValueError("is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"is longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise ValueError("must be relative (no leading '/')")
    if "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise ValueError("contains a backslash or a control character")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError("contains an empty, '.' or '..' segment")
    return key


def locator(kind: str, bucket: str, key: str) -> str:
    """``<kind>://<bucket>/<key>``."""
    return f"{kind}://{bucket}/{key}"


def parse_locator(text: str) -> tuple[str, str, str] | None:
    """``(kind, bucket, key)`` of a locator, or None for anything else (a URL, a path)."""
    kind, sep, rest = text.partition("://")
    bucket, slash, key = rest.partition("/")
    if not sep or not slash or not kind or not bucket or not key:
        return None
    return kind, bucket, key
