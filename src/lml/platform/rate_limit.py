"""Rate limits: token buckets in Redis, one Lua script per decision, timed by the Redis server's clock
(so that every API process agrees). Idle buckets expire once they would be full again."""

from __future__ import annotations

import math

import msgspec

from lml.platform.domain.errors import Unavailable
from lml.platform.redis import REDIS_OUTAGES, LuaScript, RedisClient


class RateLimit(msgspec.Struct, frozen=True):
    """`capacity` requests at once, then `refill_per_second` on average."""

    capacity: int
    refill_per_second: float

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.refill_per_second <= 0:
            raise ValueError("a rate limit needs a capacity of at least 1 and a positive refill rate")


class RateDecision(msgspec.Struct, frozen=True):
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int  # 0 when allowed; otherwise seconds until this request would pass

    def headers(self) -> dict[str, str]:
        """The `RateLimit-*` headers (IETF draft) describing this bucket, plus `Retry-After` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    def __init__(self, redis: RedisClient, key_prefix: str = "lml") -> None:
        self._script = LuaScript(redis, "lml.platform", "token_bucket.lua")
        self._prefix = f"{key_prefix}:ratelimit:"

    async def hit(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Take `cost` tokens from the bucket `key` if it has them."""
        return await self._decide("take", key, limit, cost)

    async def peek(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Whether the bucket has `cost` tokens, spending none: for a budget that only failures spend."""
        return await self._decide("peek", key, limit, cost)

    async def charge(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Spend `cost` tokens for something that has already happened, into debt if need be: requests
        that passed a `peek` at the same moment are all paid for, and later ones wait the longer."""
        return await self._decide("charge", key, limit, cost)

    async def reset(self, key: str, limit: RateLimit) -> None:
        """The bucket is full again."""
        await self._decide("reset", key, limit, 1)

    async def _decide(self, mode: str, key: str, limit: RateLimit, cost: int) -> RateDecision:
        if not 1 <= cost <= limit.capacity:
            raise ValueError(f"cost {cost} can never fit a bucket of {limit.capacity}")
        try:
            allowed, remaining, full_ms, wait_ms = await self._script(
                [self._prefix + key], [limit.capacity, repr(float(limit.refill_per_second)), cost, mode]
            )
        except REDIS_OUTAGES:
            # Failing closed: a limit that cannot be checked is not waved through (503, not 500).
            raise Unavailable(detail="The rate limiter cannot be reached; try again shortly") from None
        return RateDecision(
            allowed=bool(allowed),
            limit=limit.capacity,
            remaining=int(remaining),
            reset_seconds=math.ceil(int(full_ms) / 1000),
            retry_after=max(1, math.ceil(int(wait_ms) / 1000)) if not allowed else 0,
        )
