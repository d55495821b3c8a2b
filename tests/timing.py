"""The one clock tests hand the code, and the one way tests wait for something to happen."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from lml.platform.resources import Resources


class TestClock:
    """Moved forward when a test says so (an order's deadline passes, a hold expires, a sale window
    opens) instead of waiting.

    Without `start` it runs with the system's time, so that rows PostgreSQL stamps with its own
    `now()` stay in step with it (tests on the real stores). With `start` it stands still at that
    instant until moved (unit tests, which assert exact times). `now_ms` is the same time in
    milliseconds, as the hold scripts count it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self._offset = timedelta()

    def now(self) -> datetime:
        return (self._start or datetime.now(UTC)) + self._offset

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> None:
        """By `delta`, or by `parts` as `timedelta` takes them (`advance(minutes=20)`)."""
        self._offset += (delta or timedelta()) + timedelta(**parts)

    def move_to(self, instant: datetime) -> None:
        self.advance(instant - self.now())


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, within: float = 15, what: str = "the condition"
) -> None:
    """Poll `check` (a plain or a coroutine function) until it holds; fail after `within` seconds.
    Tests wait with this, never with a fixed sleep."""
    deadline = time.monotonic() + within
    while True:
        held = check()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within}s")
        await asyncio.sleep(0.02)


async def waiting_for_a_lock(resources: Resources, kind: Literal["advisory", "transactionid"]) -> bool:
    """Whether some session waits for a lock of this kind (what a race test waits for before letting
    the lock holder go on)."""
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype = %s", (kind,))).fetchone()
    return bool(row and row["n"])
