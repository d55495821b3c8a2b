"""Seating's services, built once per process by the composition root (the HTTP routes, the facade,
the worker's actors and outbox handlers share them: one hold store, one terms reader, one
availability feed per process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from cachetools import LRUCache

from lml.platform.resources import Resources
from lml.seating.application.hold_ports import QueueGate
from lml.seating.application.holding import Holding
from lml.seating.domain.availability import Availability
from lml.seating.infrastructure.pg_sales import PgInventoryReads
from lml.seating.infrastructure.place_descriptions import LayoutPlaceDescriptions
from lml.seating.infrastructure.redis_holds import RedisHoldStore
from lml.seating.infrastructure.sale_terms_reader import SaleTermsReader
from lml.seating.infrastructure.seatmap import SeatMaps
from lml.seating.infrastructure.show_ranking import PinnedLayoutRanking
from lml.seating.infrastructure.sse import AvailabilityHub
from lml.venues.facade import VenuesFacade


class AvailabilityBodies:
    """The last availability answer encoded per show: readers of a show that did not change cost one
    small Redis call each (which says so) and no encoding. The least recently read shows go first."""

    MAX_SHOWS = 10_000

    def __init__(self) -> None:
        self._bodies: LRUCache[str, tuple[str, bytes]] = LRUCache(maxsize=self.MAX_SHOWS)

    def get(self, show_id: str) -> tuple[str, bytes] | None:
        return self._bodies.get(show_id)

    def put(self, availability: Availability) -> tuple[str, bytes]:
        entry = (availability.version, msgspec.json.encode(availability))
        self._bodies[availability.show_id] = entry
        return entry


@dataclass(frozen=True)
class SeatingServices:
    resources: Resources
    holding: Holding
    store: RedisHoldStore
    terms: SaleTermsReader
    reads: PgInventoryReads
    hub: AvailabilityHub
    seatmaps: SeatMaps
    places: LayoutPlaceDescriptions
    availability_bodies: AvailabilityBodies
    heartbeat_seconds: float

    @classmethod
    def build(
        cls, resources: Resources, *, venues: VenuesFacade, queue_gate: QueueGate,
        now_ms: Callable[[], int] | None = None,
    ) -> SeatingServices:
        """`now_ms` drives the hold scripts' clock (tests); by default they use the Redis server's.
        `queue_gate`: the waiting rooms holds go through (the admission context's)."""
        prefix = resources.settings.redis_key_prefix
        store = RedisHoldStore(resources.redis, prefix, now_ms=now_ms)
        terms = SaleTermsReader(resources.db)
        reads = PgInventoryReads(resources.db)
        return cls(
            resources=resources,
            holding=Holding(holds=store, rules=terms, inventory=reads, clock=resources.clock,
                            max_held_per_address=resources.settings.max_held_per_address, queue_gate=queue_gate,
                            ranking=PinnedLayoutRanking(resources.db, terms, venues)),
            store=store,
            terms=terms,
            reads=reads,
            hub=AvailabilityHub(resources.redis, prefix),
            seatmaps=SeatMaps(resources.redis, prefix, terms, reads, venues),
            places=LayoutPlaceDescriptions(reads, terms, venues),
            availability_bodies=AvailabilityBodies(),
            heartbeat_seconds=resources.settings.sse_heartbeat_seconds,
        )
