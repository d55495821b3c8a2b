"""Rate limits: token buckets in Redis, one Lua script per decision, timed by the Redis server's clock
(so that every API process agrees). Idle buckets expire once they would be full again."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lml.platform.domain.errors import Unavailable
from lml.platform.domain.rate_budget import RateBill, RateBucket, RateDecision, RateLimit
from lml.platform.redis import LuaScript

__all__ = ["RateDecision", "RateLimit", "RateLimiter"]


def bucket_args(buckets: Sequence[RateBucket]) -> list[str | int]:
    """Each bucket's capacity and refill per second, as the bucket scripts read them (lua/buckets.lua)."""
    args: list[str | int] = []
    for bucket in buckets:
        args += [bucket.limit.capacity, repr(float(bucket.limit.refill_per_second))]
    return args


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, key_prefix: str = "lml") -> None:
        self._script = LuaScript(redis, "lml.platform", "buckets.lua", "token_bucket.lua")
        self._prefix = f"{key_prefix}:ratelimit:"

    def bucket(self, key: str, limit: RateLimit) -> RateBucket:
        """The bucket `key` as the store names it."""
        return RateBucket(self._prefix + key, limit)

    async def hit(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Take `cost` tokens from the bucket `key` if it has them."""
        return await self._decide("take", [self.bucket(key, limit)], cost)

    async def spend(self, bill: RateBill) -> RateDecision:
        """One token of each of the bill's buckets, in turn until one refuses (one round trip)."""
        return bill.settle(await self._run("take", bill.buckets, 1))

    async def peek(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Whether the bucket has `cost` tokens, spending none: for a budget that only failures spend."""
        return await self._decide("peek", [self.bucket(key, limit)], cost)

    async def charge(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Spend `cost` tokens for something that has already happened, into debt if need be: requests
        that passed a `peek` at the same moment are all paid for, and later ones wait the longer."""
        return await self._decide("charge", [self.bucket(key, limit)], cost)

    async def reset(self, key: str, limit: RateLimit) -> None:
        """The bucket is full again."""
        await self._decide("reset", [self.bucket(key, limit)], 1)

    async def _decide(self, mode: str, buckets: Sequence[RateBucket], cost: int) -> RateDecision:
        return RateDecision.of_reply(await self._run(mode, buckets, cost), buckets[0].limit)

    async def _run(self, mode: str, buckets: Sequence[RateBucket], cost: int) -> list[int]:
        if not all(1 <= cost <= bucket.limit.capacity for bucket in buckets):
            raise ValueError(f"cost {cost} can never fit a bucket of {min(b.limit.capacity for b in buckets)}")
        try:
            reply: list[int] = await self._script([b.key for b in buckets], [cost, mode, *bucket_args(buckets)])
        except (RedisConnectionError, RedisTimeoutError):
            # Failing closed: a limit that cannot be checked is not waved through (503, not 500).
            raise Unavailable(detail="The rate limiter cannot be reached; try again shortly") from None
        return reply
