"""Seating's periodic work for the worker.

Expired holds free their seats by themselves (every hold script drops what expired before it reads,
so nothing is ever held past its expiry). What needs a sweep is telling the SSE streams: a show
nobody touches would publish its expiries only at the next request. `purge_expired_holds` runs the
purge script on every show that has live holds; register it to run every second."""

from __future__ import annotations

from lml.seating.infrastructure.services import SeatingServices


async def purge_expired_holds(services: SeatingServices) -> int:
    """Publishes every expiry that happened since the last sweep; returns the shows swept."""
    store, redis = services.store, services.resources.redis
    shows = [s.decode() if isinstance(s, bytes) else s for s in await redis.smembers(store.active_shows_key)]
    for show_id in shows:
        if await store.purge(show_id) == 0:
            await redis.srem(store.active_shows_key, show_id)
            # A hold placed between the purge and the SREM re-added the show before we removed it:
            # look again, and put it back.
            if await store.purge(show_id) > 0:
                await redis.sadd(store.active_shows_key, show_id)
    return len(shows)
