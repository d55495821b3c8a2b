"""Leases of a general budget (lml.platform.rate_leases) on the real Redis: never more requests than
the bucket's tokens, whatever the processes; exact counts near the limit; fewer calls far from it."""

from __future__ import annotations

import asyncio

import pytest

from lml.platform.domain.rate_budget import RateBill, RateLimit
from lml.platform.rate_leases import MAX_LEASE, RateLeases
from lml.platform.rate_limit import RateLimiter
from lml.platform.resources import Resources

pytestmark = pytest.mark.redis_cluster


def bill(limiter: RateLimiter, limit: RateLimit) -> RateBill:
    return RateBill([limiter.bucket("general:{address:1}", limit)])


async def store_tokens(resources: Resources) -> float:
    return float(await resources.redis.hget("lml:ratelimit:general:{address:1}", "tokens") or 0)


async def test_racing_processes_never_let_through_more_than_the_buckets_tokens(resources: Resources) -> None:
    limiter, limit = RateLimiter(resources.redis, "lml"), RateLimit(capacity=300, refill_per_second=0.001)
    processes = [RateLeases(), RateLeases(), RateLeases()]
    decisions = await asyncio.gather(*(processes[i % 3].spend(limiter, bill(limiter, limit)) for i in range(900)))
    allowed = sum(d.allowed for d in decisions)
    # Tokens a lease held when the race ended are lost, never handed out twice.
    assert limit.capacity - 3 * MAX_LEASE <= allowed <= limit.capacity
    refused = next(d for d in decisions if not d.allowed)
    assert refused.retry_after >= 1 and refused.remaining == 0


async def test_a_caller_near_the_limit_is_counted_request_by_request(resources: Resources) -> None:
    limiter, limit = RateLimiter(resources.redis, "lml"), RateLimit(capacity=20, refill_per_second=0.001)
    leases = RateLeases()
    decisions = [await leases.spend(limiter, bill(limiter, limit)) for _ in range(21)]
    assert [d.remaining for d in decisions] == [*range(19, -1, -1), 0]
    assert [d.allowed for d in decisions] == [True] * 20 + [False]
    assert await store_tokens(resources) < 1


async def test_a_caller_with_plenty_left_takes_tokens_ahead_and_sees_the_exact_count(resources: Resources) -> None:
    limiter, limit = RateLimiter(resources.redis, "lml"), RateLimit(capacity=10_000, refill_per_second=0.001)
    leases = RateLeases()
    decisions = [await leases.spend(limiter, bill(limiter, limit)) for _ in range(100)]
    assert [d.remaining for d in decisions] == list(range(9_999, 9_899, -1))
    assert await store_tokens(resources) < 9_900  # the process holds some of the caller's tokens
