"""How much of its connection pools a process uses: sampled every few seconds into gauges that
Prometheus sums over the live processes (the API's several server processes read as one)."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import Gauge

from lml.platform.db import Database
from lml.platform.redis import RedisClient

POOL_IN_USE = Gauge("lml_pool_connections_in_use", "Connections lent out of the process's pool", ["store"],
                    multiprocess_mode="livesum")
POOL_MAX = Gauge("lml_pool_connections_max", "The most connections the process's pool opens", ["store"],
                 multiprocess_mode="livesum")
POOL_WAITING = Gauge("lml_pool_requests_waiting", "Callers waiting for a connection of the pool", ["store"],
                     multiprocess_mode="livesum")

SAMPLE_SECONDS = 5.0


def sample_pools(db: Database, redis: RedisClient) -> None:
    stats = db.pool.get_stats()
    POOL_IN_USE.labels("postgresql").set(stats.get("pool_size", 0) - stats.get("pool_available", 0))
    POOL_MAX.labels("postgresql").set(stats.get("pool_max", 0))
    POOL_WAITING.labels("postgresql").set(stats.get("requests_waiting", 0))
    pool = getattr(redis, "connection_pool", None)
    # redis-py keeps no public count of the connections lent out; a client without one pool (a
    # cluster client, one pool per node) is left out.
    in_use = getattr(pool, "_in_use_connections", None)
    if pool is not None and in_use is not None:
        POOL_IN_USE.labels("redis").set(len(in_use))
        POOL_MAX.labels("redis").set(pool.max_connections)


async def keep_sampling(db: Database, redis: RedisClient, stop: asyncio.Event) -> None:
    """Sample now, then every `SAMPLE_SECONDS` until `stop` is set."""
    while not stop.is_set():
        sample_pools(db, redis)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SAMPLE_SECONDS)
