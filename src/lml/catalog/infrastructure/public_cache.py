"""Short Redis caching of public catalog reads, dropped when the catalog changes.

Every cached answer is stored under the current values of the version counters it depends on
(`v:list` for listings, `v:event:<id>` or `v:show:<id>` for details). A change counts its versions
up after its transaction commits, so the next read misses and loads fresh data. A reader that read
the old versions before the change can still store an old answer, but under the old versions'
key, which nobody reads any more: no stale answer outlives its short TTL, and none is served once
the change is visible. Redis trouble never fails a read (it is a cache) nor a change (the TTL bounds
the staleness)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import overload

import msgspec
from redis.exceptions import RedisClusterException, RedisError

from lml.platform.logging import get_logger
from lml.platform.redis import RedisClient

log = get_logger("lml.catalog.cache")

# Version counters outlive every cached answer by far; they expire only so that ids of events long
# gone do not stay forever. A counter that expired restarts from nothing: answers stored under its
# old values expired long before.
_VERSION_SECONDS = 7 * 24 * 3600


class Cached(msgspec.Struct, frozen=True):
    body: bytes
    max_age: int  # seconds a client or CDN may keep it


class Fresh(msgspec.Struct, frozen=True):
    """A loaded answer and how long it may be cached (time-derived fields change at known moments)."""

    body: bytes
    seconds: int


class PublicCache:
    def __init__(self, client: RedisClient, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:catalog"

    @overload
    async def read(self, depends_on: Sequence[str], name: str, load: Callable[[], Awaitable[Fresh]]) -> Cached: ...

    @overload
    async def read(
        self, depends_on: Sequence[str], name: str, load: Callable[[], Awaitable[Fresh | None]]
    ) -> Cached | None: ...

    async def read(
        self, depends_on: Sequence[str], name: str, load: Callable[[], Awaitable[Fresh | None]]
    ) -> Cached | None:
        """The cached answer `name`, or `load()`'s (stored for next time). None when `load` finds nothing
        (not cached: a 404 must not outlive the creation that ends it)."""
        try:
            # A GET each, not one MGET: the versions lie in different Redis Cluster slots.
            async with self.client.pipeline(transaction=False) as pipe:
                for name in depends_on:
                    pipe.get(f"{self.prefix}:v:{name}")
                versions = await pipe.execute()
            key = f"{self.prefix}:public:{name}:{'.'.join(str(int(v or 0)) for v in versions)}"
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                body, pttl = await pipe.execute()
        except (RedisError, RedisClusterException, OSError) as exc:
            log.warning("catalog_cache_unavailable", error=type(exc).__name__)
            fresh = await load()
            return Cached(fresh.body, fresh.seconds) if fresh else None
        if body is not None and pttl > 0:
            return Cached(body, math.ceil(pttl / 1000))
        fresh = await load()
        if fresh is None:
            return None
        if fresh.seconds > 0:
            try:
                await self.client.set(key, fresh.body, ex=fresh.seconds)
            except (RedisError, RedisClusterException, OSError) as exc:
                log.warning("catalog_cache_unavailable", error=type(exc).__name__)
        return Cached(fresh.body, fresh.seconds)

    async def invalidate(self, event_ids: Iterable[str], show_ids: Iterable[str]) -> None:
        names = ["list", *(f"event:{e}" for e in event_ids), *(f"show:{s}" for s in show_ids)]
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.incr(f"{self.prefix}:v:{name}")
                    pipe.expire(f"{self.prefix}:v:{name}", _VERSION_SECONDS)
                await pipe.execute()
        except (RedisError, RedisClusterException, OSError) as exc:
            log.warning("catalog_cache_invalidation_failed", error=type(exc).__name__, keys=len(names))
