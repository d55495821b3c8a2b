"""OrderingTransaction on one PostgreSQL unit of work: ordering's own tables, plus seating's inventory
and payments' refund requests reached through their facades on the same connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import msgspec

from lml.ordering.application.ports import TransactionFactory
from lml.ordering.infrastructure.other_contexts import FacadeRefundRequests, FacadeSeatInventory
from lml.ordering.infrastructure.pg_orders import PgOrders
from lml.ordering.infrastructure.pg_refund_requests import PgRefundPolicies, PgRefundRequests
from lml.ordering.infrastructure.pg_show_cancellations import PgShowCancellations
from lml.ordering.infrastructure.pg_tickets import PgTickets
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event


class PgOrderingTransaction:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.orders = PgOrders(uow.conn)
        self.tickets = PgTickets(uow.conn)
        self.seats = FacadeSeatInventory(uow)
        self.refunds = FacadeRefundRequests(uow)
        self.cancellations = PgShowCancellations(uow.conn)
        self.policies = PgRefundPolicies(uow.conn)
        self.refund_requests = PgRefundRequests(uow.conn)

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def nested() -> AsyncIterator[None]:
            async with self._uow.conn.transaction():
                yield

        return nested()

    async def commit(self) -> None:
        await self._uow.commit()


def pg_transactions(db: Database, *, org_id: str | None = None) -> TransactionFactory:
    """Buyers' and the system's transactions act as no organization; an operator's names theirs
    (row-level security then hides every other organization's orders)."""

    @asynccontextmanager
    async def open_transaction() -> AsyncIterator[PgOrderingTransaction]:
        async with db.unit_of_work(org_id=org_id) as uow:
            yield PgOrderingTransaction(uow)

    return open_transaction
