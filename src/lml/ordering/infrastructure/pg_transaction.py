"""OrderingTransaction on one PostgreSQL unit of work: ordering's own tables, plus seating's inventory and
shows' terms of sale, and payments' refund requests, reached through their facades on the same connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import msgspec

from lml.ordering.application.ports import TransactionFactory
from lml.ordering.infrastructure.payments_refunds import PaymentsRefunds
from lml.ordering.infrastructure.pg_orders import PgOrders
from lml.ordering.infrastructure.pg_refund_requests import PgRefundPolicies, PgRefundRequests
from lml.ordering.infrastructure.pg_show_cancellations import PgShowCancellations
from lml.ordering.infrastructure.pg_tickets import PgTickets
from lml.ordering.infrastructure.seating_places import SeatingPlaces
from lml.ordering.infrastructure.seating_shows import SeatingShows
from lml.payments.facade import PaymentsFacade
from lml.platform.clock import Clock
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event
from lml.seating.facade import SeatingFacade


class PgOrderingTransaction:
    def __init__(
        self, uow: UnitOfWork, seating: SeatingFacade, payments: PaymentsFacade, clock: Clock
    ) -> None:
        self._uow = uow
        self.orders = PgOrders(uow.conn, uow.after_commit)
        self.tickets = PgTickets(uow.conn)
        self.seats = SeatingPlaces(uow, seating)
        self.refunds = PaymentsRefunds(uow, payments)
        self.cancellations = PgShowCancellations(uow.conn)
        self.policies = PgRefundPolicies(uow.conn)
        self.refund_requests = PgRefundRequests(uow.conn)
        self.shows = SeatingShows(seating, clock, uow)

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._uow.savepoint()

    async def commit(self) -> None:
        await self._uow.commit()


class PgTransactions:
    """Ordering's transactions: each one a new unit of work, or one a caller opened already."""

    def __init__(self, db: Database, seating: SeatingFacade, payments: PaymentsFacade, clock: Clock) -> None:
        self._db = db
        self._seating = seating
        self._payments = payments
        self._clock = clock

    def factory(self, *, org_id: str | None = None) -> TransactionFactory:
        """Buyers' and the system's transactions act as no organization; an operator's names theirs
        (row-level security then hides every other organization's orders)."""

        @asynccontextmanager
        async def open_transaction() -> AsyncIterator[PgOrderingTransaction]:
            async with self._db.unit_of_work(org_id=org_id) as uow:
                yield self.within(uow)

        return open_transaction

    def within(self, uow: UnitOfWork) -> PgOrderingTransaction:
        """In a transaction another context opened (payments' worker), committed by that context."""
        return PgOrderingTransaction(uow, self._seating, self._payments, self._clock)
