"""A general budget without a round trip to Redis per request: the process takes a caller's tokens
from their bucket in Redis a few at a time (a lease) and hands them to the caller's next requests.

The bucket in Redis stays the one authority: a process lets through no more requests than it took
tokens for, so a caller is never limited less strictly than by the bucket alone. A lease starts at
one token and doubles while the caller keeps asking, up to `max_lease`, and never exceeds a
sixteenth of what the bucket had left: a caller nearing their limit is counted request by request,
exactly as without leases. Tokens a lease has not handed out within `seconds` are lost (the caller
had plenty left). `RateLimit-Remaining` is the bucket's tokens plus this process' lease: exact with
one process, an upper bound with several."""

from __future__ import annotations

import msgspec

from lml.platform.domain.rate_budget import RateBill, RateDecision
from lml.platform.expiring_map import ExpiringMap
from lml.platform.rate_limit import RateLimiter

LEASE_SECONDS = 1.0
MAX_LEASE = 32
MAX_CALLERS = 100_000
# A lease is at most this part of what the bucket had left.
SHARE_OF_REMAINING = 16


class _Lease:
    __slots__ = ("decision", "size", "tokens")

    def __init__(self, decision: RateDecision, size: int, tokens: int) -> None:
        self.decision = decision  # the bucket's, when the last tokens were taken
        self.size = size
        self.tokens = tokens  # taken, not handed out yet


class RateLeases:
    def __init__(self, *, seconds: float = LEASE_SECONDS, max_lease: int = MAX_LEASE,
                 max_callers: int = MAX_CALLERS) -> None:
        self._leases: ExpiringMap[str, _Lease] = ExpiringMap(maxsize=max_callers, ttl=seconds)
        self._max_lease = max_lease

    async def spend(self, limiter: RateLimiter, bill: RateBill) -> RateDecision:
        """One token of the bill's one bucket, from this process' lease while it has some."""
        (bucket,) = bill.buckets
        lease = self._leases.get(bucket.key)
        if lease is None or lease.tokens == 0:
            size = 1 if lease is None else max(1, min(2 * lease.size, self._max_lease,
                                                      lease.decision.remaining // SHARE_OF_REMAINING))
            decision, taken = await limiter.lease(bucket, size)
            if not decision.allowed:
                bill.decision = decision
                return decision
            # Requests of the caller that ran out meanwhile may have taken tokens too: theirs add up.
            lease = self._leases.get(bucket.key) or _Lease(decision, size, 0)
            lease.decision, lease.size, lease.tokens = decision, size, lease.tokens + taken
            self._leases[bucket.key] = lease
        lease.tokens -= 1
        bill.decision = msgspec.structs.replace(lease.decision, remaining=lease.decision.remaining + lease.tokens)
        return bill.decision
