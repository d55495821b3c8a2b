"""What an operator sees of a show's waiting room: its settings, and the line as it is now."""

from __future__ import annotations

import math
from datetime import datetime

import msgspec

from lml.admission.application.ports import Line, RoomFigures, Shows, UnitOfWorkFactory
from lml.admission.domain.errors import ShowNotFound
from lml.admission.domain.room import WaitingRoom
from lml.platform.clock import Clock


class RoomStatus(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    enabled: bool
    opens_at: datetime
    admit_per_minute: int
    max_active: int
    pass_seconds: int
    paused: bool
    # disabled, not_open, pre_queue (open, the sale not yet), admitting, paused, sold_out, closed
    state: str
    waiting: int
    admitted_total: int
    active: int
    admitted_last_minute: int
    estimated_wait_seconds: int  # for the last in line, at the room's pace


async def room_status(
    uow: UnitOfWorkFactory, shows: Shows, line: Line, clock: Clock, *, show_id: str, organization_id: str
) -> RoomStatus:
    """Raises ShowNotFound (another organization's show, or a show without a room)."""
    sale = await shows.sale(show_id)
    async with uow() as tx:
        room = await tx.rooms.get(show_id)
    if sale is None or room is None or sale.organization_id != organization_id:
        raise ShowNotFound("The show has no waiting room")
    now = clock.now()
    figures = await line.figures(show_id, now_ms=int(now.timestamp() * 1000))
    closed = sale.cancelled or now >= sale.off_sale_at
    return RoomStatus(
        show_id=show_id, enabled=room.enabled, opens_at=room.opens_at, admit_per_minute=room.admit_per_minute,
        max_active=room.max_active, pass_seconds=room.pass_seconds, paused=room.paused,
        state=_state(room, figures, closed=closed, selling=sale.on_sale_at is not None and sale.on_sale_at <= now,
                     now=now),
        waiting=figures.waiting, admitted_total=figures.admitted_total, active=figures.active,
        admitted_last_minute=figures.admitted_last_minute,
        estimated_wait_seconds=math.ceil(figures.waiting * 60 / room.admit_per_minute),
    )


def _state(room: WaitingRoom, figures: RoomFigures, *, closed: bool, selling: bool, now: datetime) -> str:
    if not room.enabled:
        return "disabled"
    if closed:
        return "closed"
    if now < room.opens_at:
        return "not_open"
    if not selling:
        return "pre_queue"
    if room.paused:
        return "paused"
    return "sold_out" if figures.sold_out else "admitting"
