"""Operators set a show's waiting room, pause and resume it; the line in Redis is told at once (and
again by every admission tick, so a Redis that lost its data learns it back)."""

from __future__ import annotations

from datetime import datetime

from lml.admission.application.ports import Line, RoomFacts, Shows, ShowSale, UnitOfWorkFactory
from lml.admission.domain.errors import ShowNotFound
from lml.admission.domain.room import WaitingRoom
from lml.admission.events import WaitingRoomConfigured
from lml.platform.clock import Clock


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def room_facts(room: WaitingRoom, sale: ShowSale, now: datetime) -> RoomFacts:
    return RoomFacts(
        enabled=room.enabled, opens_ms=_ms(room.opens_at),
        on_sale_ms=_ms(sale.on_sale_at) if sale.on_sale_at else None, closes_ms=_ms(sale.off_sale_at),
        admit_per_minute=room.admit_per_minute, max_active=room.max_active, pass_ms=room.pass_seconds * 1000,
        paused=room.paused, closed=sale.cancelled or now >= sale.off_sale_at,
    )


async def _sale_of_organization(shows: Shows, show_id: str, organization_id: str) -> ShowSale:
    sale = await shows.sale(show_id)
    if sale is None or sale.organization_id != organization_id:
        raise ShowNotFound()
    return sale


async def configure_room(
    uow: UnitOfWorkFactory, shows: Shows, line: Line, clock: Clock, *, show_id: str, organization_id: str,
    enabled: bool, opens_at: datetime, admit_per_minute: int, max_active: int, pass_seconds: int,
) -> WaitingRoom:
    """Raises ShowNotFound (also another organization's show) and InvalidInput naming every bad field.
    A paused room stays paused."""
    sale = await _sale_of_organization(shows, show_id, organization_id)
    now = clock.now()
    async with uow() as tx:
        existing = await tx.rooms.get(show_id)
        room = WaitingRoom.configure(
            show_id=show_id, organization_id=organization_id, enabled=enabled, opens_at=opens_at,
            admit_per_minute=admit_per_minute, max_active=max_active, pass_seconds=pass_seconds,
            on_sale_at=sale.on_sale_at, paused=existing.paused if existing else False, now=now)
        await tx.rooms.save(room)
        await tx.publish(_configured(room))
        await tx.commit()
    await line.configure(show_id, room_facts(room, sale, now))
    return room


async def set_paused(
    uow: UnitOfWorkFactory, shows: Shows, line: Line, clock: Clock, *, show_id: str, organization_id: str,
    paused: bool,
) -> WaitingRoom:
    """Raises ShowNotFound when the show (or its room) is not the organization's."""
    sale = await _sale_of_organization(shows, show_id, organization_id)
    now = clock.now()
    async with uow() as tx:
        room = await tx.rooms.get(show_id)
        if room is None:
            raise ShowNotFound("The show has no waiting room")
        room = room.with_pause(paused, now)
        await tx.rooms.save(room)
        await tx.publish(_configured(room))
        await tx.commit()
    await line.configure(show_id, room_facts(room, sale, now))
    return room


async def get_room(uow: UnitOfWorkFactory, *, show_id: str) -> WaitingRoom | None:
    async with uow() as tx:
        return await tx.rooms.get(show_id)


def _configured(room: WaitingRoom) -> WaitingRoomConfigured:
    return WaitingRoomConfigured(
        show_id=room.show_id, organization_id=room.organization_id, enabled=room.enabled, paused=room.paused,
        opens_at=room.opens_at, admit_per_minute=room.admit_per_minute, max_active=room.max_active,
        pass_seconds=room.pass_seconds)
