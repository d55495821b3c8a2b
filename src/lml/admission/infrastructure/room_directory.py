"""Whether a show's sale goes through its waiting room, as the hold route asks on every hold: kept
in process for a few seconds, so a hot show's room is read from PostgreSQL once per few seconds per
process however many holds come (the pass itself is checked by its signature alone). A room turned
on or off reaches every process within that time."""

from __future__ import annotations

from lml.admission.domain.room import WaitingRoom
from lml.admission.infrastructure.pg_rooms import PgRooms
from lml.platform.db import Database
from lml.platform.expiring_map import ExpiringMap
from lml.platform.single_flight import SingleFlight

TTL_SECONDS = 2.0
MAX_SHOWS = 10_000


class RoomDirectory:
    def __init__(self, db: Database, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self._db = db
        self._cache: ExpiringMap[str, tuple[WaitingRoom | None]] = ExpiringMap(maxsize=MAX_SHOWS, ttl=ttl_seconds)
        self._reading: SingleFlight[str, WaitingRoom | None] = SingleFlight()

    async def room(self, show_id: str) -> WaitingRoom | None:
        cached = self._cache.get(show_id)
        if cached is None:
            cached = (await self._reading.run(show_id, lambda: self._read(show_id)),)
            self._cache[show_id] = cached
        return cached[0]

    def forget(self, show_id: str) -> None:
        """This process changed the room: its next hold reads it afresh."""
        self._cache.pop(show_id)

    async def _read(self, show_id: str) -> WaitingRoom | None:
        async with self._db.unit_of_work() as uow:
            return await PgRooms(uow.conn).get(show_id)
