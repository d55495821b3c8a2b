"""Rate limits: token buckets in Redis, one Lua script per decision, timed by the Redis server's clock
(so that every API process agrees). Idle buckets expire once they would be full again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby

from redis.crc import key_slot

from lml.platform.domain.errors import Unavailable
from lml.platform.domain.rate_budget import RateBill, RateBucket, RateDecision, RateLimit
from lml.platform.redis import REDIS_OUTAGES, LuaScript, RedisClient

__all__ = ["RateDecision", "RateLimit", "RateLimiter"]


def bucket_args(buckets: Sequence[RateBucket]) -> list[str | int]:
    """Each bucket's capacity and refill per second, as the bucket scripts read them (lua/buckets.lua)."""
    args: list[str | int] = []
    for bucket in buckets:
        args += [bucket.limit.capacity, repr(float(bucket.limit.refill_per_second))]
    return args


def bills_args(bills: Sequence[Sequence[RateBucket]]) -> tuple[list[str | int], list[str]]:
    """Budgets kept apart (each bill's buckets), as lua/buckets.lua's `spend_bills` reads them: the
    ARGV (the number of bills, then each one's bucket count and `bucket_args`) and the KEYS to put
    last (every bill's buckets, bill after bill)."""
    args: list[str | int] = [len(bills)]
    keys: list[str] = []
    for buckets in bills:
        args += [len(buckets), *bucket_args(buckets)]
        keys += [bucket.key for bucket in buckets]
    return args, keys


class RateLimiter:
    def __init__(self, redis: RedisClient, key_prefix: str = "lml") -> None:
        self._script = LuaScript(redis, "lml.platform", "buckets.lua", "token_bucket.lua")
        self._prefix = f"{key_prefix}:ratelimit:"

    def bucket(self, key: str, limit: RateLimit) -> RateBucket:
        """The bucket `key` as the store names it."""
        return RateBucket(self._prefix + key, limit)

    async def hit(self, key: str, limit: RateLimit, cost: int = 1) -> RateDecision:
        """Take `cost` tokens from the bucket `key` if it has them."""
        return await self._decide("take", [self.bucket(key, limit)], cost)

    async def lease(self, bucket: RateBucket, most: int) -> tuple[RateDecision, int]:
        """As many of `most` tokens of `bucket` as it has, at least one (refused otherwise): the
        decision, and how many were taken."""
        reply = await self._run("lease", [bucket], most)
        return RateDecision.of_reply(reply, bucket.limit), reply[5]

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
            for first, group in self._by_slot(buckets):
                reply = [int(n) for n in await self._script([b.key for b in group],
                                                             [cost, mode, *bucket_args(group)])]
                reply[4] += first  # the bucket's number among all the request's buckets
                if not reply[0] and mode != "charge":
                    break
        except REDIS_OUTAGES:
            # Failing closed: a limit that cannot be checked is not waved through (503, not 500).
            raise Unavailable(detail="The rate limiter cannot be reached; try again shortly") from None
        return reply

    def _by_slot(self, buckets: Sequence[RateBucket]) -> Iterator[tuple[int, list[RateBucket]]]:
        """The buckets in runs that one script may touch on a Redis Cluster, neighbours in one slot, each
        with the number of buckets before it. A request's buckets share a hash tag (its caller's, or the
        show's whose script spends them) unless a route counts by another key (the client address):
        then they are spent in two calls, as one script would spend them: in turn, until one refuses."""
        first = 0
        for _, run in groupby(buckets, key=lambda bucket: key_slot(bucket.key.encode())):
            group = list(run)
            yield first, group
            first += len(group)
