"""Brute-force brakes on the token and register routes: token buckets per email and per client address."""

from __future__ import annotations

import hashlib

from lml.identity.domain.errors import TooManyAttempts
from lml.identity.domain.rules import normalize_email
from lml.platform.rate_limit import RateDecision, RateLimit, RateLimiter

# Ten guesses at one account, then one a minute: slow enough to make guessing pointless.
PER_EMAIL = RateLimit(capacity=10, refill_per_second=1 / 60)
# Generous, since many people may share one address (an office, a carrier's NAT).
PER_ADDRESS = RateLimit(capacity=60, refill_per_second=1)
REGISTER_PER_ADDRESS = RateLimit(capacity=20, refill_per_second=1 / 30)


class LoginThrottle:
    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    async def token_attempt(self, address: str, email: str | None) -> None:
        """Counts one attempt at the token route; raises `TooManyAttempts` over either budget."""
        decisions = [await self._limiter.hit(f"identity:token:addr:{address}", PER_ADDRESS)]
        if email is not None:
            # Hashed: the key names the account without putting an email address in Redis.
            email_key = hashlib.sha256(normalize_email(email).encode("utf-8", "surrogatepass")).hexdigest()[:32]
            decisions.append(await self._limiter.hit(f"identity:token:email:{email_key}", PER_EMAIL))
        _refuse_if_over(decisions)

    async def registration(self, address: str) -> None:
        _refuse_if_over([await self._limiter.hit(f"identity:register:addr:{address}", REGISTER_PER_ADDRESS)])


def _refuse_if_over(decisions: list[RateDecision]) -> None:
    refused = [d for d in decisions if not d.allowed]
    if refused:
        raise TooManyAttempts(retry_after=max(d.retry_after for d in refused))
