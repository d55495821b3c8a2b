"""The catalog's ports on the real stores, for one process's Resources (HTTP, facade, fixtures)."""

from __future__ import annotations

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.infrastructure.public_cache import PublicCache
from lml.catalog.infrastructure.unit_of_work import PgCatalog
from lml.catalog.infrastructure.venue_directory import FacadeVenueDirectory
from lml.platform.resources import Resources


def public_cache(resources: Resources) -> PublicCache:
    return PublicCache(resources.redis, resources.settings.redis_key_prefix)


def catalog_ports(resources: Resources) -> CatalogPorts:
    return CatalogPorts(uow=PgCatalog(resources.db, public_cache(resources)),
                        venues=FacadeVenueDirectory(resources), clock=resources.clock)
