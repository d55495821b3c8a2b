"""Whether a show's sale goes through its waiting room, as the hold route asks on every hold: kept
in process for a few seconds, so a hot show's room is read from PostgreSQL once per few seconds per
process however many holds come (the pass itself is checked by its signature alone). A room turned
on or off reaches every process within that time."""

from __future__ import annotations

from lml.admission.domain.room import WaitingRoom
from lml.admission.infrastructure.pg_rooms import PgRooms
from lml.platform.db import Database
from lml.platform.expiring_map import ReadThrough

TTL_SECONDS = 2.0
MAX_SHOWS = 10_000


class RoomDirectory:
    def __init__(self, db: Database, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self._db = db
        self._rooms: ReadThrough[str, WaitingRoom | None] = ReadThrough(self._read, maxsize=MAX_SHOWS, ttl=ttl_seconds)

    async def room(self, show_id: str) -> WaitingRoom | None:
        return await self._rooms.get(show_id)

    def forget(self, show_id: str) -> None:
        """This process changed the room: its next hold reads it afresh."""
        self._rooms.forget(show_id)

    async def _read(self, show_id: str) -> WaitingRoom | None:
        async with self._db.unit_of_work() as uow:
            return await PgRooms(uow.conn).get(show_id)
