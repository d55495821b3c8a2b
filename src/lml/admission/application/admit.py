"""The worker's admission tick: for each enabled room whose sale is on, let the next buyers in at the
room's pace, never more passes alive than `max_active`, and none while the show has no place left.

Every decision is one script in Redis over that show's line: two workers ticking at once are
serialized there, and the second sees what the first admitted (nobody is admitted twice, and the
pace and the cap hold across them)."""

from __future__ import annotations

from lml.admission.application.configure_room import room_facts
from lml.admission.application.ports import Line, Shows, UnitOfWorkFactory
from lml.admission.domain.room import WaitingRoom
from lml.platform.clock import Clock

# Buyers let in by one tick of one room at most: a tick's script stays short however high the pace.
TICK_MAX = 2000


async def admit_next(uow: UnitOfWorkFactory, shows: Shows, line: Line, clock: Clock) -> int:
    """One tick over every enabled room; how many buyers were let in."""
    async with uow() as tx:
        rooms = await tx.rooms.enabled()
    admitted = 0
    for room in rooms:
        admitted += await _admit_room(room, shows, line, clock)
    return admitted


async def _admit_room(room: WaitingRoom, shows: Shows, line: Line, clock: Clock) -> int:
    sale = await shows.sale(room.show_id)
    if sale is None:
        return 0
    now = clock.now()
    facts = room_facts(room, sale, now)
    selling = not facts.closed and sale.on_sale_at is not None and sale.on_sale_at <= now
    sold_out = selling and await shows.places_left(room.show_id) == 0
    now_ms = int(now.timestamp() * 1000)
    # The room's facts go with every tick: a Redis that lost them (or a show cancelled meanwhile)
    # is brought up to date before anybody is let in.
    await line.configure(room.show_id, facts)
    let_in = await line.admit(room.show_id, now_ms=now_ms, sold_out=sold_out, closed=facts.closed, at_most=TICK_MAX)
    return len(let_in or [])
