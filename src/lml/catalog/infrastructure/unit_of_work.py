"""The catalog's unit of work on PostgreSQL: repositories, seating's inventory and the outbox share
one transaction; the public listing's rows of the events it touched are rebuilt in it, and public
caches are dropped once it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import msgspec

from lml.catalog.application.ports import CatalogUnitOfWork, EventRepository, Inventory, ShowRepository
from lml.catalog.infrastructure.pg_events import PgEvents
from lml.catalog.infrastructure.pg_listing import relist_events
from lml.catalog.infrastructure.pg_shows import PgShows
from lml.catalog.infrastructure.public_cache import PublicCache
from lml.catalog.infrastructure.seating_inventory import SeatingInventory
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event
from lml.seating.facade import SeatingFacade


class PgCatalogUnitOfWork:
    def __init__(self, uow: UnitOfWork, cache: PublicCache, seating: SeatingFacade) -> None:
        self.uow = uow
        self.cache = cache
        self.events: EventRepository = PgEvents(uow.conn)
        self.shows: ShowRepository = PgShows(uow.conn)
        self.inventory: Inventory = SeatingInventory(uow, seating)
        self._events: set[str] = set()
        self._shows: set[str] = set()

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self.uow, event)

    def touched(self, event_id: str, show_ids: Iterable[str] = ()) -> None:
        self._events.add(event_id)
        self._shows.update(show_ids)

    async def commit(self) -> None:
        if self._events:
            await relist_events(self.uow.conn, self._events)
        await self.uow.commit()
        if self._events or self._shows:
            await self.cache.invalidate(self._events, self._shows)


class PgCatalog:
    """The UnitOfWorkFactory: `org_id` None is a buyer's (public reads), else an operator's."""

    def __init__(self, db: Database, cache: PublicCache, seating: SeatingFacade) -> None:
        self.db = db
        self.cache = cache
        self.seating = seating

    @asynccontextmanager
    async def __call__(self, org_id: str | None) -> AsyncIterator[CatalogUnitOfWork]:
        async with self.db.unit_of_work(org_id=org_id) as uow:
            yield PgCatalogUnitOfWork(uow, self.cache, self.seating)
