"""The clock tests hand the composition root: the system's time, moved forward when a test says so
(an order's deadline passes, a sale window opens) instead of waiting. It keeps running with real time,
so that rows PostgreSQL stamps with its own `now()` stay in step with it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class TestClock:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class ManualClock:
    """Milliseconds the hold scripts run on, moved by the test instead of waiting."""

    def __init__(self, start_ms: int | None = None) -> None:
        self.ms = start_ms if start_ms is not None else time.time_ns() // 1_000_000

    def now_ms(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms
