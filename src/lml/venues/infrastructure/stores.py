"""Venues' adapters, assembled from the process's open connections."""

from __future__ import annotations

from lml.platform.resources import Resources
from lml.venues.application.ports import Stores
from lml.venues.infrastructure.mongo_layouts import MongoLayoutDocuments
from lml.venues.infrastructure.pg_venues import PgVenuesTransactions


def stores_for(resources: Resources) -> Stores:
    return Stores(
        uow=PgVenuesTransactions(resources.db),
        documents=MongoLayoutDocuments(resources.mongo),
        clock=resources.clock,
    )
