"""Brute-force brakes on the token and register routes, as token buckets in Redis.

Only failed passwords spend the login budgets, and the budget of one account is kept per client
address: a stranger guessing from elsewhere empties their own bucket, never the owner's."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lml.identity.domain.errors import InvalidCredentials, TooManyAttempts
from lml.identity.domain.rules import normalize_email
from lml.platform.rate_limit import RateDecision, RateLimit, RateLimiter

# Failed passwords at one account from one address: ten, then one a minute.
FAILURES_PER_ACCOUNT_AND_ADDRESS = RateLimit(capacity=10, refill_per_second=1 / 60)
# Failed passwords from one address at any accounts (credential stuffing): thirty, then six a minute.
# Many people may share an address (an office, a carrier's NAT), and a few of them mistype.
FAILURES_PER_ADDRESS = RateLimit(capacity=30, refill_per_second=1 / 10)
# Every request at the token route from one address, whatever its outcome. Generous, for the same reason.
PER_ADDRESS = RateLimit(capacity=60, refill_per_second=1)
REGISTER_PER_ADDRESS = RateLimit(capacity=20, refill_per_second=1 / 30)


class LoginThrottle:
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    async def token_request(self, address: str) -> None:
        """Spends one request of the address' budget at the token route; `TooManyAttempts` when empty."""
        _refuse_if_over([await self._limiter.hit(f"identity:token:addr:{address}", PER_ADDRESS)])

    @asynccontextmanager
    async def password_attempt(self, address: str, email: str) -> AsyncIterator[None]:
        """Around one password check: refused up front (`TooManyAttempts`) when this account from this
        address, or this address, has no failure left; an `InvalidCredentials` from the block spends
        one of each; a success forgets this account's failures from this address."""
        # Hashed: the key names the account without putting an email address in Redis.
        account = hashlib.sha256(normalize_email(email).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        budgets = [
            (f"identity:token:failures:account:{account}:addr:{address}", FAILURES_PER_ACCOUNT_AND_ADDRESS),
            (f"identity:token:failures:addr:{address}", FAILURES_PER_ADDRESS),
        ]
        _refuse_if_over(list(await asyncio.gather(*(self._limiter.peek(key, limit) for key, limit in budgets))))
        try:
            yield
        except InvalidCredentials:
            await asyncio.gather(*(self._limiter.charge(key, limit) for key, limit in budgets))
            raise
        await self._limiter.reset(*budgets[0])

    async def registration(self, address: str) -> None:
        _refuse_if_over([await self._limiter.hit(f"identity:register:addr:{address}", REGISTER_PER_ADDRESS)])


def _refuse_if_over(decisions: list[RateDecision]) -> None:
    refused = [d for d in decisions if not d.allowed]
    if refused:
        raise TooManyAttempts(retry_after=max(d.retry_after for d in refused))
