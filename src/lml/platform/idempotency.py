"""Idempotency records in Redis: the first response to a key is kept for 24 hours and replayed."""

from __future__ import annotations

from typing import Literal

import msgspec
import redis.asyncio as aioredis

from lml.platform.redis import LuaScript

Outcome = Literal["proceed", "replay", "mismatch", "in_flight"]


class StoredResponse(msgspec.Struct, frozen=True):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Begin(msgspec.Struct, frozen=True):
    outcome: Outcome
    response: StoredResponse | None = None
    retry_after: int = 1


class IdempotencyStore:
    def __init__(
        self, redis: aioredis.Redis, key_prefix: str, *, ttl_seconds: int = 86_400, lock_seconds: int = 60
    ) -> None:
        self._prefix = f"{key_prefix}:idempotency:"
        self._ttl_ms = ttl_seconds * 1000
        # A request that crashed mid-way frees its key after this long, so a retry can go on.
        self._lock_ms = lock_seconds * 1000
        self._begin = LuaScript(redis, "lml.platform", "idempotency_begin.lua")
        self._finish = LuaScript(redis, "lml.platform", "idempotency_finish.lua")

    def _key(self, scope: str) -> str:
        return self._prefix + scope

    async def begin(self, scope: str, fingerprint: str) -> Begin:
        reply = await self._begin([self._key(scope)], [fingerprint, self._lock_ms])
        outcome = reply[0].decode()
        if outcome == "replay":
            headers = msgspec.json.decode(reply[2], type=list[tuple[str, str]])
            return Begin("replay", StoredResponse(int(reply[1]), headers, bytes(reply[3])))
        if outcome == "in_flight":
            return Begin("in_flight", retry_after=max(1, -(-int(reply[1]) // 1000)))
        return Begin(outcome)

    async def store(self, scope: str, fingerprint: str, response: StoredResponse) -> None:
        headers = msgspec.json.encode(response.headers)
        await self._finish(
            [self._key(scope)], [fingerprint, "store", self._ttl_ms, response.status, headers, response.body]
        )

    async def abandon(self, scope: str, fingerprint: str) -> None:
        await self._finish([self._key(scope)], [fingerprint, "abandon", 0, 0, b"", b""])
