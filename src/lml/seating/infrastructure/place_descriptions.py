"""PlaceDescriptions: held places' price tiers (PostgreSQL) and labels (the pinned layout, read once
per show and process: a published layout version never changes; requests that need it while it is
being read wait for that one read)."""

from __future__ import annotations

from collections.abc import Sequence

from cachetools import LRUCache

from lml.platform.db import Database
from lml.platform.single_flight import SingleFlight
from lml.seating.domain.hold import seat_label
from lml.seating.infrastructure.sale_terms_reader import SaleTermsReader
from lml.venues.facade import VenuesFacade

MAX_SHOWS = 16


class LayoutPlaceDescriptions:
    def __init__(self, db: Database, terms: SaleTermsReader, venues: VenuesFacade) -> None:
        self._db = db
        self._terms = terms
        self._venues = venues
        self._labels: LRUCache[str, dict[str, str]] = LRUCache(maxsize=MAX_SHOWS)
        self._reading: SingleFlight[str, dict[str, str]] = SingleFlight()

    async def seats(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        if not seat_ids:
            return {}
        async with self._db.unit_of_work(read_only=True) as uow:
            rows = await (
                await uow.conn.execute(
                    "SELECT seat_id, tier_id FROM seating.show_seats WHERE show_id = %s AND seat_id = ANY(%s)",
                    (show_id, list(seat_ids)),
                )
            ).fetchall()
        labels = await self._labels_of(show_id)
        return {row["seat_id"]: (row["tier_id"], labels.get(row["seat_id"])) for row in rows}

    async def labels(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, str]:
        """The seats' printable labels, from the pinned layout (no query once the show's are read)."""
        labels = await self._labels_of(show_id)
        return {seat_id: labels[seat_id] for seat_id in seat_ids if seat_id in labels}

    async def zone_tiers(self, show_id: str, zone_ids: Sequence[str]) -> dict[str, str]:
        if not zone_ids:
            return {}
        async with self._db.unit_of_work(read_only=True) as uow:
            rows = await (
                await uow.conn.execute(
                    "SELECT zone_id, tier_id FROM seating.show_zones WHERE show_id = %s AND zone_id = ANY(%s)",
                    (show_id, list(zone_ids)),
                )
            ).fetchall()
        return {row["zone_id"]: row["tier_id"] for row in rows}

    async def _labels_of(self, show_id: str) -> dict[str, str]:
        labels = self._labels.get(show_id)
        if labels is None:
            labels = await self._reading.run(show_id, lambda: self._read_labels(show_id))
            self._labels[show_id] = labels
        return labels

    async def _read_labels(self, show_id: str) -> dict[str, str]:
        terms = await self._terms.terms(show_id)
        pinned = await self._venues.get_pinned_layout(layout_id=terms.layout_id, version=terms.layout_version,
                                                      hash=terms.layout_hash)
        return {s.seat_id: seat_label(s.section, s.row, s.number) for s in pinned.layout.seats}
