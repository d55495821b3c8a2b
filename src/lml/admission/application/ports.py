"""What the waiting room's use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

import msgspec

from lml.admission.domain.room import WaitingRoom
from lml.platform.domain.rate_budget import RateBill


class RoomRepository(Protocol):
    async def get(self, show_id: str) -> WaitingRoom | None: ...

    async def save(self, room: WaitingRoom) -> None: ...

    async def enabled(self) -> list[WaitingRoom]:
        """Every enabled room (the worker's admission tick goes through them)."""


class AdmissionUnitOfWork(Protocol):
    @property
    def rooms(self) -> RoomRepository: ...

    async def publish(self, event: msgspec.Struct) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[AdmissionUnitOfWork]: ...


class ShowSale(msgspec.Struct, frozen=True, kw_only=True):
    """A show's sale as the catalog knows it."""

    show_id: str
    organization_id: str
    on_sale_at: datetime | None  # None: not put on sale yet
    off_sale_at: datetime
    cancelled: bool


class Shows(Protocol):
    async def sale(self, show_id: str) -> ShowSale | None:
        """None when there is no such show."""

    async def places_left(self, show_id: str) -> int:
        """Seats and GA places nobody has bought, reserved or holds right now."""


class RoomFacts(msgspec.Struct, frozen=True, kw_only=True):
    """A room's settings and its show's sale, as the line in Redis keeps them (one script reads
    everything it decides on)."""

    enabled: bool
    opens_ms: int
    on_sale_ms: int | None
    closes_ms: int
    admit_per_minute: int
    max_active: int
    pass_ms: int
    paused: bool
    closed: bool  # the sale is over, or the show cancelled


class Place(msgspec.Struct, frozen=True, kw_only=True):
    """A buyer's place as the line reports it (see `EntryState` for the states)."""

    entry_id: str
    state: str
    rank: int | None  # 1 for the first in line; None unless waiting, paused or sold out
    pass_expires_ms: int | None  # when admitted
    waiting: int  # everyone in line (for the polling budget)
    admit_per_minute: int


class Joined(msgspec.Struct, frozen=True, kw_only=True):
    place: Place
    new: bool  # False: the buyer had a place already, which this is


class JoinRefused(msgspec.Struct, frozen=True, kw_only=True):
    """Why the line took nobody: `rate_limited` (a bill's budget refused: its decision says so),
    `unconfigured` (the room's facts are not in Redis), `not_enabled`, `not_open` (until `opens_ms`),
    `closed`."""

    reason: str
    opens_ms: int | None = None


class RateLimited(msgspec.Struct, frozen=True):
    """A bill's budget refused the request (its decision says which): the line did nothing."""


class Admitted(msgspec.Struct, frozen=True, kw_only=True):
    entry_id: str
    buyer: str
    at_ms: int


class RoomFigures(msgspec.Struct, frozen=True, kw_only=True):
    waiting: int
    admitted_total: int
    active: int
    admitted_last_minute: int
    sold_out: bool


class Line(Protocol):
    """One show's line, in Redis: every call one atomic script."""

    async def configure(self, show_id: str, facts: RoomFacts) -> None: ...

    async def join(self, show_id: str, *, buyer: str, entry_id: str, pre_queue_rank: int, now_ms: int,
                   bills: Sequence[RateBill] = ()) -> Joined | JoinRefused:
        """The buyer's place (new or theirs already), or why not. The request's rate budgets (`bills`,
        whose buckets carry the show's hash tag) are spent first, in the same step, bill after bill
        until one refuses, each settled with its own decision; a bill already settled is not spent."""

    async def place(self, show_id: str, *, buyer: str, now_ms: int, bills: Sequence[RateBill] = ()
                    ) -> Place | RateLimited | None:
        """The buyer's place, None when not in line. The bills are spent first, as `join` spends them;
        RateLimited when one refused."""

    async def admit(self, show_id: str, *, now_ms: int, sold_out: bool, closed: bool, at_most: int
                    ) -> list[Admitted] | None:
        """Let the next buyers in, as the room's pace and `max_active` allow; None when the room's
        facts are not in Redis."""

    async def keep_pass(self, show_id: str, *, entry_id: str, until_ms: int, now_ms: int) -> None:
        """The pass of `entry_id` stays alive (and its place in `max_active` taken) until `until_ms`."""

    async def figures(self, show_id: str, *, now_ms: int) -> RoomFigures: ...

    async def admissions(self, show_id: str) -> list[Admitted]:
        """The admission log, oldest first."""
