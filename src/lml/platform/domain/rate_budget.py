"""Rate budgets as values: a limit, the bucket a request draws from, what the bucket decided, and the
bill of one request (its buckets, spent once: by the route's limit, or by a store script that spends
them in the same step as its own work)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from lml.platform.domain.errors import TooManyRequests


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

    @classmethod
    def of_reply(cls, reply: Sequence[int | bytes], limit: RateLimit) -> RateDecision:
        """From a bucket script's answer {allowed, tokens left, ms until full, ms until the cost is there}."""
        allowed = bool(int(reply[0]))
        return cls(allowed=allowed, limit=limit.capacity, remaining=int(reply[1]),
                   reset_seconds=math.ceil(int(reply[2]) / 1000),
                   retry_after=0 if allowed else max(1, math.ceil(int(reply[3]) / 1000)))

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

    def refusal(self) -> TooManyRequests:
        return TooManyRequests(self.retry_after, f"Too many requests; try again in {self.retry_after} s")


class RateBucket(msgspec.Struct, frozen=True):
    key: str  # the bucket's key in the store, whole
    limit: RateLimit


class RateBill:
    """The buckets one request spends, one token each, in order until one refuses: whoever spends
    them first records the decision (the refusing bucket's, else the last one's), and nobody spends
    them twice."""

    __slots__ = ("buckets", "decision")

    def __init__(self, buckets: Sequence[RateBucket]) -> None:
        self.buckets = tuple(buckets)
        self.decision: RateDecision | None = None

    def settle(self, reply: Sequence[int | bytes]) -> RateDecision:
        """Record a bucket script's answer {allowed, tokens left, ms until full, ms until there, bucket number}."""
        self.decision = RateDecision.of_reply(reply, self.buckets[int(reply[4]) - 1].limit)
        return self.decision
