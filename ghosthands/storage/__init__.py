"""Object storage: artifacts out of PostgreSQL, resumes from where VALET keeps them.

One small interface (:class:`ObjectStore`: put, get, signed_url, aclose) with two
backends, chosen by ``GH_STORAGE_BACKEND``: any S3-compatible store (:mod:`.s3`, boto3)
and Supabase Storage's REST API (:mod:`.supabase`, httpx). :class:`Storage` adds the
buckets and link lifetime; :func:`open_storage` builds it from the settings, or gives
None when no store is configured (artifacts then stay in ``gh_artifacts``).
"""

from ghosthands.storage.base import (
    ObjectNotFound,
    ObjectStore,
    ObjectTooLarge,
    StorageError,
    StoredObject,
    check_key,
    locator,
    parse_locator,
)
from ghosthands.storage.store import Storage, artifact_key, open_storage

__all__ = [
    "ObjectNotFound",
    "ObjectStore",
    "ObjectTooLarge",
    "Storage",
    "StorageError",
    "StoredObject",
    "artifact_key",
    "check_key",
    "locator",
    "open_storage",
    "parse_locator",
]
