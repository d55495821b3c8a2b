"""The payments unit of work on one PostgreSQL transaction (the platform's UnitOfWork)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import msgspec

from lml.payments.application.ports import OrderPayments, PaymentsUnitOfWork, UnitOfWorkFactory
from lml.payments.infrastructure.pg_inbox import PgEventInbox
from lml.payments.infrastructure.pg_payments import PgPaymentRecords, PgRefundRecords
from lml.platform.db import Database, UnitOfWork
from lml.platform.outbox import add_event

# Ordering, bound to the transaction it must write in.
OrdersFactory = Callable[[UnitOfWork], OrderPayments]


class PgPaymentsUnitOfWork:
    def __init__(self, uow: UnitOfWork, orders: OrderPayments | None = None) -> None:
        self._uow = uow
        self._orders = orders
        self.intents = PgPaymentRecords(uow)
        self.refunds = PgRefundRecords(uow.conn)
        self.inbox = PgEventInbox(uow)

    @property
    def orders(self) -> OrderPayments:
        if self._orders is None:
            raise RuntimeError("this unit of work was opened without access to ordering")
        return self._orders

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        return self._uow.savepoint()

    async def publish(self, event: msgspec.Struct) -> None:
        await add_event(self._uow, event)

    async def commit(self) -> None:
        await self._uow.commit()


def unit_of_work_factory(db: Database, orders: OrdersFactory | None = None) -> UnitOfWorkFactory:
    @asynccontextmanager
    async def open_unit_of_work() -> AsyncIterator[PaymentsUnitOfWork]:
        async with db.unit_of_work() as uow:
            yield PgPaymentsUnitOfWork(uow, orders(uow) if orders else None)

    return open_unit_of_work
