"""How long to wait before trying again: exponential backoff with full jitter (the outbox, Stripe's
event inbox). Pure: no I/O, so any layer may use it."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(attempts: int, *, base: float = 1.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter: uniform in [base, base·2^(attempts-1)], capped."""
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(min(base, ceiling), ceiling))
