"""The catalog's services: its ports on the real stores and its public cache, built once per process
by the composition root with the other contexts' facades it needs (venues' layouts, seating's
inventory)."""

from __future__ import annotations

from dataclasses import dataclass

from lml.catalog.application.ports import CatalogPorts
from lml.catalog.infrastructure.public_cache import PublicCache
from lml.catalog.infrastructure.unit_of_work import PgCatalog
from lml.catalog.infrastructure.venue_directory import FacadeVenueDirectory
from lml.platform.resources import Resources
from lml.seating.facade import SeatingFacade
from lml.venues.facade import VenuesFacade


@dataclass(frozen=True)
class CatalogServices:
    ports: CatalogPorts
    public_cache: PublicCache
    resources: Resources
    seating: SeatingFacade

    @classmethod
    def build(cls, resources: Resources, *, venues: VenuesFacade, seating: SeatingFacade) -> CatalogServices:
        cache = PublicCache(resources.redis, resources.settings.redis_key_prefix)
        ports = CatalogPorts(uow=PgCatalog(resources.db, cache, seating), venues=FacadeVenueDirectory(venues),
                             clock=resources.clock)
        return cls(ports=ports, public_cache=cache, resources=resources, seating=seating)
