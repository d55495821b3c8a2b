"""IdentityUnitOfWork on one PostgreSQL transaction, with the outbox for integration events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.infrastructure.pg_account_tokens import PgAccountTokens
from lml.identity.infrastructure.pg_organizations import PgOrganizations
from lml.identity.infrastructure.pg_refresh_tokens import PgRefreshTokens
from lml.identity.infrastructure.pg_users import PgUsers
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event


class PgIdentityUnitOfWork:
    """`owns_transaction=False`: on a transaction the caller opened and commits (an outbox event's
    delivery); `commit()` then leaves it to its owner."""

    def __init__(self, uow: UnitOfWork, *, owns_transaction: bool = True) -> None:
        self._uow = uow
        self._owns_transaction = owns_transaction
        self.users = PgUsers(uow.conn)
        self.organizations = PgOrganizations(uow.conn)
        self.refresh_tokens = PgRefreshTokens(uow.conn)
        self.account_tokens = PgAccountTokens(uow.conn)

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    async def commit(self) -> None:
        if self._owns_transaction:
            await self._uow.commit()


def pg_unit_of_work(db: Database) -> UnitOfWorkFactory:
    @asynccontextmanager
    async def open_unit_of_work() -> AsyncIterator[PgIdentityUnitOfWork]:
        async with db.unit_of_work() as uow:
            yield PgIdentityUnitOfWork(uow)

    return open_unit_of_work
