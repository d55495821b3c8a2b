"""Ordering's adapters, built once per process from its `Resources`."""

from __future__ import annotations

from dataclasses import dataclass

from lml.ordering.application.ports import Holds, Payments, SeatSync, TransactionFactory
from lml.ordering.infrastructure.other_contexts import CatalogShows, SeatingHolds, SeatingSync, StripePayments
from lml.ordering.infrastructure.pg_transaction import pg_transactions
from lml.platform.clock import Clock
from lml.platform.resources import Resources


@dataclass(frozen=True)
class OrderingServices:
    resources: Resources
    clock: Clock
    transaction: TransactionFactory
    holds: Holds
    shows: CatalogShows
    payments: Payments
    sync: SeatSync
    ticket_key: bytes

    @classmethod
    def from_resources(cls, resources: Resources) -> OrderingServices:
        return cls(
            resources=resources,
            clock=resources.clock,
            transaction=pg_transactions(resources.db),
            holds=SeatingHolds(resources),
            shows=CatalogShows(resources),
            payments=StripePayments(resources),
            sync=SeatingSync(resources),
            ticket_key=resources.settings.ticket_signing_key.encode(),
        )

    def as_organization(self, org_id: str) -> TransactionFactory:
        return pg_transactions(self.resources.db, org_id=org_id)
