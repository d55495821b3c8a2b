"""Notifications' unit of work on one PostgreSQL transaction (the platform's UnitOfWork)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lml.notifications.application.ports import NotificationsUnitOfWork, UnitOfWorkFactory
from lml.notifications.infrastructure.pg_announcements import PgAnnouncementStore
from lml.notifications.infrastructure.pg_messages import PgMessageStore
from lml.platform.db import Database, UnitOfWork


class PgNotificationsUnitOfWork:
    def __init__(self, uow: UnitOfWork, *, owns_transaction: bool = True) -> None:
        self._uow = uow
        self._owns_transaction = owns_transaction
        self.messages = PgMessageStore(uow)
        self.announcements = PgAnnouncementStore(uow.conn)

    async def commit(self) -> None:
        # On a transaction the caller opened (the outbox's), its owner commits it.
        if self._owns_transaction:
            await self._uow.commit()


def unit_of_work_factory(db: Database, *, org_id: str | None = None) -> UnitOfWorkFactory:
    """The worker's and the system's units of work act as no organization (they see every row); an
    operator's names theirs, and row-level security then hides every other organization's."""

    @asynccontextmanager
    async def open_unit_of_work() -> AsyncIterator[NotificationsUnitOfWork]:
        async with db.unit_of_work(org_id=org_id) as uow:
            yield PgNotificationsUnitOfWork(uow)

    return open_unit_of_work


def within(uow: UnitOfWork) -> UnitOfWorkFactory:
    """Units of work on a transaction the caller opened and commits (an outbox event's delivery):
    what they record is kept exactly when the event is marked delivered."""

    @asynccontextmanager
    async def on_the_callers_transaction() -> AsyncIterator[NotificationsUnitOfWork]:
        yield PgNotificationsUnitOfWork(uow, owns_transaction=False)

    return on_the_callers_transaction
