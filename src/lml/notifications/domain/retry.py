"""When a failed message is tried again, and when it is given up.

Exponential backoff with full jitter, as the outbox's (`lml.platform.outbox.backoff`): the delay is
uniform between the base and a ceiling that doubles with each attempt, up to a cap, so that messages
failed together do not retry together. That function is not reused here: it sits in a module that
imports the database driver (the domain may not), and it draws from the global random generator,
where this rule takes its draw as an argument so that tests can pin it.

Attempts alone are a poor clock with full jitter: ten unlucky draws near the base would give up
after a few minutes of an outage. So a message is dead only after `max_attempts` failures AND
`patience` after it was recorded: a mail server down for an hour delays mail and loses none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

# Draws a number of seconds between its two arguments (`random.uniform`, or a fixed value in tests).
Jitter = Callable[[float, float], float]


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    max_attempts: int = 10
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    patience: timedelta = timedelta(hours=2)

    def delay(self, attempts: int, jitter: Jitter) -> timedelta:
        """How long to wait after the `attempts`-th failure."""
        base, cap = self.base.total_seconds(), self.cap.total_seconds()
        ceiling = min(cap, base * 2 ** max(0, attempts - 1))
        return timedelta(seconds=jitter(min(base, ceiling), ceiling))

    def gives_up(self, attempts: int, *, recorded_at: datetime, now: datetime) -> bool:
        return attempts >= self.max_attempts and now - recorded_at >= self.patience
