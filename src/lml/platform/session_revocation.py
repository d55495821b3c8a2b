"""Ended sessions (a logout), so that their access tokens are refused before they expire.

Access tokens are checked on every request, the hold storm included, so the check must not cost a
round trip to Redis. Each process keeps the revoked sessions in memory (`RevokedSessions`, consulted
by `TokenCodec.verify`) and reads the ones other processes recorded from a log in Redis every
`SYNC_SECONDS`: a revocation reaches every API process within that, plus one read, while Redis
answers. The process that records one knows it at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from lml.platform.logging import get_logger
from lml.platform.redis import REDIS_OUTAGES, LuaScript, RedisClient

log = get_logger("lml.sessions")

SYNC_SECONDS = 1.0
# Seconds a token is still accepted past its expiry (clocks differ a little); see `TokenCodec`.
LEEWAY_SECONDS = 5
_READ_BATCH = 1000


class RevokedSessions:
    """The sessions this process knows to be revoked, each until no token of it can be valid any more."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._until: dict[str, float] = {}
        self._clock = clock

    def add(self, session_id: str, until: float) -> None:
        self._until[session_id] = max(until, self._until.get(session_id, until))

    def __contains__(self, session_id: object) -> bool:
        until = self._until.get(session_id) if isinstance(session_id, str) else None
        return until is not None and self._clock() < until

    def __len__(self) -> int:
        return len(self._until)

    def forget_expired(self) -> None:
        now = self._clock()
        self._until = {session: until for session, until in self._until.items() if until > now}


class SessionRevocations:
    """Revocations shared by every process through a log in Redis."""

    def __init__(self, redis: RedisClient, key_prefix: str, revoked: RevokedSessions) -> None:
        self._redis = redis
        self._key = f"{key_prefix}:sessions:revoked"
        self._script = LuaScript(redis, "lml.platform", "session_revoke.lua")
        self._revoked = revoked
        self._cursor = "0-0"  # the last log entry read

    async def revoke(self, session_id: str, token_seconds: int) -> None:
        """Refuse the tokens of `session_id` from now on; `token_seconds` is the longest lifetime of a
        token it may have (one issued this instant)."""
        seconds = token_seconds + LEEWAY_SECONDS
        await self._script([self._key], [session_id, seconds])
        self._revoked.add(session_id, time.time() + seconds)

    async def sync(self) -> None:
        """Read the revocations recorded since the last read (by any process)."""
        while True:
            reply = await self._redis.xread({self._key: self._cursor}, count=_READ_BATCH)
            entries = reply[0][1] if reply else []
            for entry_id, fields in entries:
                self._revoked.add(fields[b"session"].decode(), float(fields[b"until"]))
                self._cursor = entry_id.decode()
            if len(entries) < _READ_BATCH:
                break
        self._revoked.forget_expired()

    async def keep_in_sync(self, stop: asyncio.Event, every: float = SYNC_SECONDS) -> None:
        """`sync` every `every` seconds until `stop` is set. While Redis does not answer, the revocations
        known so far still hold, and the failure is logged once. Stopped by an event rather than
        cancelled: redis-py may swallow a cancellation that lands inside a command."""
        failing = False
        while not stop.is_set():
            try:
                await self.sync()
            except REDIS_OUTAGES as exc:
                if not failing:
                    log.warning("session_revocations_unreadable", error=type(exc).__name__)
                failing = True
            else:
                if failing:
                    log.info("session_revocations_readable")
                failing = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
