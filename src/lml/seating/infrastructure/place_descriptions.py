"""PlaceDescriptions: held places' price tiers and labels, read once per show and process (a seat's or
zone's tier is fixed when the show goes on sale and never changes; its label comes from the pinned
layout version, which never changes either), so that checking a hold for an order asks nothing of
PostgreSQL. Requests that need a show's while they are being read wait for that one read."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from cachetools import LRUCache

from lml.platform.single_flight import SingleFlight
from lml.seating.domain.hold import seat_label
from lml.seating.infrastructure.pg_sales import PgInventoryReads
from lml.seating.infrastructure.sale_terms_reader import SaleTermsReader
from lml.venues.facade import VenuesFacade

MAX_SHOWS = 16


class _ShowPlaces(msgspec.Struct, frozen=True):
    seats: dict[str, tuple[str | None, str | None]]  # seat id → (tier id, label); the show's seats only
    zone_tiers: dict[str, str]
    labels: dict[str, str]  # every seat of the pinned layout


class LayoutPlaceDescriptions:
    def __init__(self, reads: PgInventoryReads, terms: SaleTermsReader, venues: VenuesFacade) -> None:
        self._reads = reads
        self._terms = terms
        self._venues = venues
        self._places: LRUCache[str, _ShowPlaces] = LRUCache(maxsize=MAX_SHOWS)
        self._reading: SingleFlight[str, _ShowPlaces] = SingleFlight()

    async def seats(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        if not seat_ids:
            return {}
        seats = (await self._of(show_id)).seats
        return {seat_id: seats[seat_id] for seat_id in seat_ids if seat_id in seats}

    async def labels(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, str]:
        """The seats' printable labels, from the pinned layout (no query once the show's are read)."""
        labels = (await self._of(show_id)).labels
        return {seat_id: labels[seat_id] for seat_id in seat_ids if seat_id in labels}

    async def zone_tiers(self, show_id: str, zone_ids: Sequence[str]) -> dict[str, str]:
        if not zone_ids:
            return {}
        tiers = (await self._of(show_id)).zone_tiers
        return {zone_id: tiers[zone_id] for zone_id in zone_ids if zone_id in tiers}

    async def _of(self, show_id: str) -> _ShowPlaces:
        places = self._places.get(show_id)
        if places is None:
            places = await self._reading.run(show_id, lambda: self._read(show_id))
            self._places[show_id] = places
        return places

    async def _read(self, show_id: str) -> _ShowPlaces:
        terms = await self._terms.terms(show_id)
        pinned = await self._venues.get_pinned_layout(layout_id=terms.layout_id, version=terms.layout_version,
                                                      hash=terms.layout_hash)
        labels = {s.seat_id: seat_label(s.section, s.row, s.number) for s in pinned.layout.seats}
        seat_tiers, zone_tiers = await self._reads.tiers(show_id)
        return _ShowPlaces(
            seats={seat_id: (tier_id, labels.get(seat_id)) for seat_id, tier_id in seat_tiers.items()},
            zone_tiers=zone_tiers,
            labels=labels,
        )
