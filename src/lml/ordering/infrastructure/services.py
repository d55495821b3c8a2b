"""Ordering's services, built once per process by the composition root with the other contexts'
facades its ports are served by (catalog's shows, seating's holds and places, payments')."""

from __future__ import annotations

from dataclasses import dataclass

from lml.catalog.facade import CatalogFacade
from lml.ordering.application.ports import Holds, Payments, SeatSync, TransactionFactory
from lml.ordering.infrastructure.catalog_shows import CatalogShows
from lml.ordering.infrastructure.payment_intents import PaymentIntents
from lml.ordering.infrastructure.pg_transaction import PgTransactions
from lml.ordering.infrastructure.seating_holds import SeatingHolds, SeatingSync
from lml.payments.facade import PaymentsFacade
from lml.platform.clock import Clock
from lml.platform.resources import Resources
from lml.seating.facade import SeatingFacade


@dataclass(frozen=True)
class OrderingServices:
    resources: Resources
    clock: Clock
    transactions: PgTransactions
    transaction: TransactionFactory
    holds: Holds
    shows: CatalogShows
    payments: Payments
    sync: SeatSync
    seating: SeatingFacade  # for the operators' reads that put seating's counts beside ordering's money
    ticket_key: bytes
    cancellation_batch_size: int

    @classmethod
    def build(
        cls, resources: Resources, *, catalog: CatalogFacade, seating: SeatingFacade, payments: PaymentsFacade
    ) -> OrderingServices:
        transactions = PgTransactions(resources.db, seating, payments, resources.clock)
        return cls(
            resources=resources,
            clock=resources.clock,
            transactions=transactions,
            transaction=transactions.factory(),
            holds=SeatingHolds(seating),
            shows=CatalogShows(catalog),
            payments=PaymentIntents(payments),
            sync=SeatingSync(seating),
            seating=seating,
            ticket_key=resources.settings.ticket_signing_key.encode(),
            cancellation_batch_size=resources.settings.cancellation_batch_size,
        )

    def as_organization(self, org_id: str) -> TransactionFactory:
        return self.transactions.factory(org_id=org_id)
