"""Payments' services, built once per process by the composition root. Ordering is reached through
the `OrderPayments` port payments defines; the root plugs ordering's facade into it (payments does
not import ordering)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lml.payments.application.ports import StoreEvent, UnitOfWorkFactory
from lml.payments.infrastructure.pg_inbox import PgEventStore
from lml.payments.infrastructure.stripe_gateway import StripeGateway
from lml.payments.infrastructure.unit_of_work import OrdersFactory, PgPaymentsUnitOfWork, unit_of_work_factory
from lml.platform.clock import Clock
from lml.platform.db import UnitOfWork
from lml.platform.resources import Resources


@dataclass(frozen=True)
class PaymentsServices:
    resources: Resources
    clock: Clock
    gateway: StripeGateway
    # Units of work that reach ordering, for the worker (inbox, refunds, reconciliation) ...
    uows: UnitOfWorkFactory
    # ... and ones that need not (creating and cancelling PaymentIntents, the admin routes).
    own_uows: UnitOfWorkFactory
    store_event: StoreEvent  # the webhook's
    webhook_secrets: list[str]
    orders: OrdersFactory

    @classmethod
    def build(cls, resources: Resources, *, orders: OrdersFactory) -> PaymentsServices:
        return cls(
            resources=resources,
            clock=resources.clock,
            # One client per process: it keeps its connections to Stripe alive between calls.
            gateway=StripeGateway(resources.settings),
            uows=unit_of_work_factory(resources.db, orders),
            own_uows=unit_of_work_factory(resources.db),
            store_event=PgEventStore(resources.db),
            webhook_secrets=resources.settings.stripe_webhook_secrets,
            orders=orders,
        )

    def reaching(self, orders: OrdersFactory) -> PaymentsServices:
        """The same services (the same Stripe client) reaching ordering through `orders` instead."""
        return replace(self, uows=unit_of_work_factory(self.resources.db, orders), orders=orders)

    async def close(self) -> None:
        await self.gateway.close()

    def within(self, uow: UnitOfWork) -> PgPaymentsUnitOfWork:
        """Payments' unit of work (reaching ordering) on a transaction the caller opened (the outbox's)."""
        return PgPaymentsUnitOfWork(uow, self.orders(uow))
