"""Venues' services: its stores, built once per process by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from lml.platform.resources import Resources
from lml.venues.application.ports import Stores
from lml.venues.infrastructure.mongo_layouts import MongoLayoutDocuments
from lml.venues.infrastructure.pg_venues import PgVenuesTransactions


@dataclass(frozen=True)
class VenuesServices:
    stores: Stores

    @classmethod
    def build(cls, resources: Resources) -> VenuesServices:
        documents = MongoLayoutDocuments(resources.mongo)
        return cls(stores=Stores(uow=PgVenuesTransactions(resources.db), documents=documents, clock=resources.clock))
