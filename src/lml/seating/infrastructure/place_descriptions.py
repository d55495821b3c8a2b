"""PlaceDescriptions: held places' price tiers (PostgreSQL) and labels (the pinned layout, read once
per show and process: a published layout version never changes)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from lml.platform.resources import Resources
from lml.seating.domain.hold import seat_label
from lml.seating.infrastructure.catalog_shows import CatalogShows
from lml.venues import facade as venues

MAX_SHOWS = 16


class LayoutPlaceDescriptions:
    def __init__(self, resources: Resources, shows: CatalogShows) -> None:
        self._resources = resources
        self._shows = shows
        self._labels: OrderedDict[str, dict[str, str]] = OrderedDict()

    async def seats(self, show_id: str, seat_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        if not seat_ids:
            return {}
        async with self._resources.db.unit_of_work() as uow:
            rows = await (
                await uow.conn.execute(
                    "SELECT seat_id, tier_id FROM seating.show_seats WHERE show_id = %s AND seat_id = ANY(%s)",
                    (show_id, list(seat_ids)),
                )
            ).fetchall()
        labels = await self._labels_of(show_id)
        return {row["seat_id"]: (row["tier_id"], labels.get(row["seat_id"])) for row in rows}

    async def zone_tiers(self, show_id: str, zone_ids: Sequence[str]) -> dict[str, str]:
        if not zone_ids:
            return {}
        async with self._resources.db.unit_of_work() as uow:
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
            show = await self._shows.show(show_id)
            pinned = await venues.get_pinned_layout(
                self._resources, layout_id=show.layout.layout_id, version=show.layout.version, hash=show.layout.hash
            )
            labels = {s.seat_id: seat_label(s.section, s.row, s.number) for s in pinned.layout.seats}
            self._labels[show_id] = labels
            while len(self._labels) > MAX_SHOWS:
                self._labels.popitem(last=False)
        self._labels.move_to_end(show_id)
        return labels
