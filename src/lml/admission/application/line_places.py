"""Buyers and the line: joining it (once per buyer) and reading one's place, with the pass once
admitted.

Pre-queue buyers get a random rank when they join, drawn uniformly from a range far below the ranks
of those who join once the sale is open; ordering by these ranks is a uniform shuffle of the
pre-queue, the same as shuffling it at the on-sale instant, without a pass over the whole line at
that instant. The rank is never shown before the sale opens."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lml.admission.application.ports import Joined, JoinRefused, Line, Place, RateLimited
from lml.admission.domain.entry import (
    EntryState,
    QueueEntry,
    estimated_wait_seconds,
    poll_after_seconds,
)
from lml.admission.domain.errors import NotInLine, WaitingRoomClosed, WaitingRoomNotEnabled, WaitingRoomNotOpen
from lml.admission.domain.queue_pass import PassClaims, sign_pass
from lml.platform.clock import Clock
from lml.platform.domain.errors import TooManyRequests
from lml.platform.domain.rate_budget import RateBill
from lml.platform.ids import new_id

# Ranks drawn for the pre-queue; those who join later rank from here up (the line keeps ranks as
# doubles: integers below 2**53 are exact).
PRE_QUEUE_RANKS = 2**48


@dataclass(frozen=True)
class LineDesk:
    """What the buyers' use cases share: the line, the clock, the key passes are signed with, the
    polling budget of one room, and how to put a room's facts back in the line (after Redis lost
    them), False when the show has no room."""

    line: Line
    clock: Clock
    pass_key: bytes
    polls_per_second: int
    restore_room: Callable[[str], Awaitable[bool]]

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)


async def join_line(desk: LineDesk, *, show_id: str, buyer: str, bills: Sequence[RateBill] = ()
                    ) -> tuple[QueueEntry, bool]:
    """The buyer's entry, and whether it is new. `bills`: the request's rate budgets, spent by the line
    in the same step as the join, before anything else (see `Line.join`). Raises TooManyRequests (the
    refusing bill's), WaitingRoomNotEnabled, WaitingRoomNotOpen, WaitingRoomClosed."""
    entry_id, rank = new_id(), secrets.randbelow(PRE_QUEUE_RANKS)
    joined = await desk.line.join(show_id, buyer=buyer, entry_id=entry_id, pre_queue_rank=rank, now_ms=desk.now_ms(),
                                  bills=bills)
    if isinstance(joined, JoinRefused) and joined.reason == "unconfigured" and await desk.restore_room(show_id):
        # The bills were spent by the first call: settled, they are not spent again.
        joined = await desk.line.join(show_id, buyer=buyer, entry_id=entry_id, pre_queue_rank=rank,
                                      now_ms=desk.now_ms(), bills=bills)
    if isinstance(joined, Joined):
        return entry_view(desk, show_id, buyer, joined.place), joined.new
    if joined.reason == "rate_limited":
        raise _refusal(bills)
    if joined.reason == "not_open" and joined.opens_ms is not None:
        raise WaitingRoomNotOpen(datetime.fromtimestamp(joined.opens_ms / 1000, UTC).isoformat())
    if joined.reason == "closed":
        raise WaitingRoomClosed()
    raise WaitingRoomNotEnabled()


def _refusal(bills: Sequence[RateBill]) -> TooManyRequests:
    """The 429 of the bill whose budget refused the request."""
    for bill in bills:
        if bill.decision is not None and not bill.decision.allowed:
            return bill.decision.refusal()
    raise RuntimeError("the line refused a request for a budget none of its bills holds")


async def my_place(desk: LineDesk, *, show_id: str, buyer: str, bills: Sequence[RateBill] = ()) -> QueueEntry:
    """`bills`: the request's rate budgets, spent by the line in the same step as the read, before it
    (see `Line.place`). Raises TooManyRequests (the refusing bill's), NotInLine."""
    place = await desk.line.place(show_id, buyer=buyer, now_ms=desk.now_ms(), bills=bills)
    if isinstance(place, RateLimited):
        raise _refusal(bills)
    if place is None:
        raise NotInLine()
    return entry_view(desk, show_id, buyer, place)


def entry_view(desk: LineDesk, show_id: str, buyer: str, place: Place) -> QueueEntry:
    state = EntryState(place.state)
    poll = poll_after_seconds(position=place.rank if state is EntryState.WAITING else None, waiting=place.waiting,
                              admit_per_minute=place.admit_per_minute, polls_per_second=desk.polls_per_second)
    if state is EntryState.ADMITTED and place.pass_expires_ms is not None:
        claims = PassClaims(show_id=show_id, buyer=buyer, entry_id=place.entry_id, expires_ms=place.pass_expires_ms)
        return QueueEntry(entry_id=place.entry_id, state=state, position=None, estimated_wait_seconds=0,
                          poll_after_seconds=poll, pass_token=sign_pass(claims, desk.pass_key),
                          pass_expires_at=claims.expires_at)
    wait = None if place.rank is None else estimated_wait_seconds(place.rank, place.admit_per_minute)
    return QueueEntry(entry_id=place.entry_id, state=state, position=place.rank, estimated_wait_seconds=wait,
                      poll_after_seconds=poll)
