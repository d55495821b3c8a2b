"""The generic token bucket (lml.platform.rate_limit) on the real Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from lml.platform.domain.errors import Unavailable
from lml.platform.rate_limit import RateLimit, RateLimiter
from lml.platform.resources import Resources
from tests.timing import eventually


async def test_a_bucket_allows_its_capacity_then_refuses_with_a_retry_after(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=3, refill_per_second=0.1)
    decisions = [await limiter.hit("test:a", limit) for _ in range(4)]
    assert [(d.allowed, d.remaining) for d in decisions] == [(True, 2), (True, 1), (True, 0), (False, 0)]
    refused = decisions[-1]
    assert refused.retry_after == 10 and refused.limit == 3 and refused.reset_seconds == 30
    assert refused.headers() == {"RateLimit-Limit": "3", "RateLimit-Remaining": "0", "RateLimit-Reset": "30",
                                 "Retry-After": "10"}
    assert "Retry-After" not in decisions[0].headers()


async def test_buckets_are_independent_and_expire_once_they_would_be_full(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=1, refill_per_second=0.5)
    assert (await limiter.hit("test:b", limit)).allowed
    assert not (await limiter.hit("test:b", limit)).allowed
    assert (await limiter.hit("test:c", limit)).allowed
    ttl_ms = await resources.redis.pttl("lml:ratelimit:test:b")
    assert 0 < ttl_ms <= 2000


async def test_a_bucket_refills_with_time(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=1, refill_per_second=20)
    assert (await limiter.hit("test:d", limit)).allowed

    async def allowed() -> bool:
        return (await limiter.hit("test:d", limit)).allowed

    await eventually(allowed, within=2, what="the bucket refilled")


async def test_a_request_costing_more_than_the_capacity_is_a_programming_error(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    with pytest.raises(ValueError, match="never fit"):
        await limiter.hit("test:e", RateLimit(capacity=2, refill_per_second=1), cost=3)
    with pytest.raises(ValueError):
        RateLimit(capacity=0, refill_per_second=1)


async def test_concurrent_hits_never_take_more_than_the_capacity(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=25, refill_per_second=0.001)
    decisions = await asyncio.gather(*(limiter.hit("test:f", limit) for _ in range(100)))
    assert sum(d.allowed for d in decisions) == 25


async def test_a_peek_tells_without_spending(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=2, refill_per_second=0.01)
    assert [(await limiter.peek("test:h", limit)).remaining for _ in range(5)] == [2] * 5
    assert await resources.redis.exists("lml:ratelimit:test:h") == 0
    await limiter.hit("test:h", limit)
    await limiter.hit("test:h", limit)
    refused = await limiter.peek("test:h", limit)
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 100)


async def test_a_charge_goes_into_debt_and_the_wait_grows_with_it(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=2, refill_per_second=0.1)
    charges = [await limiter.charge("test:i", limit) for _ in range(5)]
    assert [(c.allowed, c.remaining) for c in charges] == [(True, 1), (True, 0), (False, 0), (False, 0), (False, 0)]
    # Three tokens of debt: the next token is there in four refills (40 s), not one.
    waiting = await limiter.peek("test:i", limit)
    assert not waiting.allowed and 39 <= waiting.retry_after <= 40
    assert not (await limiter.hit("test:i", limit)).allowed


async def test_a_reset_fills_the_bucket_again(resources: Resources) -> None:
    limiter = RateLimiter(resources.redis, "lml")
    limit = RateLimit(capacity=1, refill_per_second=0.01)
    await limiter.charge("test:j", limit, cost=1)
    await limiter.charge("test:j", limit, cost=1)
    await limiter.reset("test:j", limit)
    assert (await limiter.hit("test:j", limit)).allowed


async def test_an_unreachable_redis_is_unavailable_not_a_crash() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        with pytest.raises(Unavailable):
            await RateLimiter(client, "lml").hit("test:g", RateLimit(capacity=1, refill_per_second=1))
    finally:
        await client.aclose()
