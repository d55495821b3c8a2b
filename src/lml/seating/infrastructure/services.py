"""Seating's adapters, built once per process from its `Resources` (the HTTP routes and the facade
share them: one hold store, one show cache, one availability feed per process)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from lml.platform.resources import Resources
from lml.seating.application.holding import Holding
from lml.seating.domain.availability import Availability
from lml.seating.infrastructure.catalog_shows import CatalogShows
from lml.seating.infrastructure.pg_sales import PgInventoryReads
from lml.seating.infrastructure.place_descriptions import LayoutPlaceDescriptions
from lml.seating.infrastructure.redis_holds import RedisHoldStore
from lml.seating.infrastructure.seatmap import SeatMaps
from lml.seating.infrastructure.sse import HEARTBEAT_SECONDS, AvailabilityHub


class AvailabilityBodies:
    """The last availability answer encoded per show: readers of a show that did not change cost one
    small Redis call each (which says so) and no encoding."""

    MAX_SHOWS = 10_000

    def __init__(self) -> None:
        self._bodies: dict[str, tuple[str, bytes]] = {}

    def get(self, show_id: str) -> tuple[str, bytes] | None:
        return self._bodies.get(show_id)

    def put(self, availability: Availability) -> tuple[str, bytes]:
        entry = (availability.version, msgspec.json.encode(availability))
        if len(self._bodies) >= self.MAX_SHOWS:
            self._bodies.clear()
        self._bodies[availability.show_id] = entry
        return entry


@dataclass(frozen=True)
class SeatingServices:
    holding: Holding
    store: RedisHoldStore
    shows: CatalogShows
    hub: AvailabilityHub
    seatmaps: SeatMaps
    places: LayoutPlaceDescriptions
    availability_bodies: AvailabilityBodies
    heartbeat_seconds: float = HEARTBEAT_SECONDS

    @classmethod
    def from_resources(
        cls, resources: Resources, *, now_ms: Callable[[], int] | None = None,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> SeatingServices:
        """`now_ms` drives the hold scripts' clock (tests); by default they use the Redis server's."""
        prefix = resources.settings.redis_key_prefix
        store = RedisHoldStore(resources.redis, prefix, now_ms=now_ms)
        shows = CatalogShows(resources)
        reads = PgInventoryReads(resources.db)
        return cls(
            holding=Holding(holds=store, rules=shows, inventory=reads, clock=resources.clock,
                            max_held_per_address=resources.settings.max_held_per_address),
            store=store,
            shows=shows,
            hub=AvailabilityHub(resources.redis, prefix),
            seatmaps=SeatMaps(resources, shows, reads),
            places=LayoutPlaceDescriptions(resources, shows),
            availability_bodies=AvailabilityBodies(),
            heartbeat_seconds=heartbeat_seconds,
        )


_SERVICES: weakref.WeakKeyDictionary[Resources, SeatingServices] = weakref.WeakKeyDictionary()


def services_for(resources: Resources) -> SeatingServices:
    """The process's seating services for these resources, built on first use."""
    services = _SERVICES.get(resources)
    if services is None:
        services = _SERVICES[resources] = SeatingServices.from_resources(resources)
    return services


def use_services(resources: Resources, services: SeatingServices) -> None:
    """Put other services in place (tests: a hold clock they drive)."""
    _SERVICES[resources] = services
