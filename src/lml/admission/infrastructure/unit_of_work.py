"""Admission's unit of work on one PostgreSQL transaction, with the outbox for its events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec

from lml.admission.application.ports import AdmissionUnitOfWork, UnitOfWorkFactory
from lml.admission.infrastructure.pg_rooms import PgRooms
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event


class PgAdmissionUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.rooms = PgRooms(uow.conn)

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    async def commit(self) -> None:
        await self._uow.commit()


def unit_of_work_factory(db: Database, *, org_id: str | None = None) -> UnitOfWorkFactory:
    """An operator's units of work name their organization (row-level security hides the others');
    the system's (the worker, the hold route's check) act as none."""

    @asynccontextmanager
    async def open_unit_of_work() -> AsyncIterator[AdmissionUnitOfWork]:
        async with db.unit_of_work(org_id=org_id) as uow:
            yield PgAdmissionUnitOfWork(uow)

    return open_unit_of_work
