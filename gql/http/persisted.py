"""Automatic persisted queries, Apollo's protocol (`extensions.persistedQuery: {version: 1, sha256Hash}`).

- A request with the hash only: the document stored under it runs; an unknown hash is answered (HTTP 200) with the
  error `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`, as Apollo's link expects), so the client
  sends the hash again with the text.
- A request with the hash and the text: the text's SHA-256 must be that hash (else HTTP 400
  `PERSISTED_QUERY_HASH_MISMATCH`: a forged hash never stores a document under another's name); the text is stored.
- Over GET (hash only: a CDN can cache the URL of a read) and POST; GET never runs a mutation (Strawberry's rule).
- Kept per process in a bounded LRU (SEATWISE_APQ_CACHE_SIZE documents) and, with REDIS_URL, in Redis (a week), so
  that every instance knows what one was sent. Redis failing only costs a resend: the client is told NOT_FOUND.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from typing import Any

import redis.asyncio as aioredis
from cross_web import HTTPException
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger("seatwise.persisted")

HASH = re.compile(r"[0-9a-f]{64}")
MAX_STORED_LENGTH = 100_000  # characters; a longer document still runs, it is not kept
REDIS_TTL = 7 * 24 * 3600  # seconds
REDIS_PREFIX = "seatwise:apq:"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"


class PersistedQueryError(HTTPException):
    """A persisted-query request answered before any GraphQL runs, with its HTTP status and error code."""

    def __init__(self, status_code: int, message: str, code: str) -> None:
        super().__init__(status_code, message)
        self.code = code


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PersistedQueries:
    """Documents by their SHA-256: an LRU of `size` entries, and Redis behind it when a URL is given."""

    def __init__(self, size: int, redis_url: str | None = None) -> None:
        self.size = size
        self._local: OrderedDict[str, str] = OrderedDict()
        self._redis = (
            aioredis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0))
            if redis_url
            else None
        )

    def __len__(self) -> int:
        return len(self._local)

    def _remember(self, digest: str, text: str) -> None:
        self._local[digest] = text
        self._local.move_to_end(digest)
        while len(self._local) > self.size:
            self._local.popitem(last=False)

    async def get(self, digest: str) -> str | None:
        if (text := self._local.get(digest)) is not None:
            self._local.move_to_end(digest)
            return text
        if self._redis is None:
            return None
        try:
            stored = await self._redis.get(REDIS_PREFIX + digest)
        except aioredis.RedisError:
            log.warning("persisted queries: Redis did not answer a read")
            return None
        if stored is None:
            return None
        text = stored.decode() if isinstance(stored, bytes) else str(stored)
        if sha256_hex(text) != digest:  # never trust a value that is not what its key says
            return None
        self._remember(digest, text)
        return text

    async def put(self, digest: str, text: str) -> None:
        if len(text) > MAX_STORED_LENGTH or self.size == 0:
            return
        self._remember(digest, text)
        if self._redis is not None:
            try:
                await self._redis.set(REDIS_PREFIX + digest, text.encode(), ex=REDIS_TTL)
            except aioredis.RedisError:
                log.warning("persisted queries: Redis did not answer a write")

    async def resolve(self, data: Any) -> None:
        """Fill `data.query` (a GraphQLRequestData) from its persisted-query extension, or raise
        PersistedQueryError. A request without the extension is left as it is."""
        extension = (data.extensions or {}).get("persistedQuery") if isinstance(data.extensions, dict) else None
        if extension is None:
            return
        digest = extension.get("sha256Hash") if isinstance(extension, dict) else None
        if not isinstance(extension, dict) or extension.get("version") != 1 or not isinstance(digest, str):
            raise PersistedQueryError(
                400, "extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}.", "BAD_REQUEST"
            )
        if not HASH.fullmatch(digest):
            raise PersistedQueryError(400, "persistedQuery.sha256Hash must be 64 lowercase hex digits.", "BAD_REQUEST")
        if data.query is None:
            text = await self.get(digest)
            if text is None:
                raise PersistedQueryError(200, NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
            data.query = text
            return
        if not isinstance(data.query, str) or sha256_hex(data.query) != digest:
            raise PersistedQueryError(
                400, "The query's SHA-256 is not persistedQuery.sha256Hash.", "PERSISTED_QUERY_HASH_MISMATCH"
            )
        await self.put(digest, data.query)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
