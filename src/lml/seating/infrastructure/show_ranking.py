"""ShowRanking: the pinned layout read through the venues facade, the ranks written to PostgreSQL."""

from __future__ import annotations

import msgspec
from psycopg.types.json import Jsonb
from pymongo.errors import PyMongoError

from lml.platform.db import Database
from lml.platform.logging import get_logger
from lml.seating.domain.seat_quality import SeatGeometry, SeatPlan, VenueGeometry
from lml.seating.infrastructure.sale_terms_reader import SaleTermsReader
from lml.venues.facade import LayoutIntegrityError, LayoutNotFound, VenuesFacade

log = get_logger("lml.seating.ranking")


class PinnedLayoutRanking:
    def __init__(self, db: Database, terms: SaleTermsReader, venues: VenuesFacade) -> None:
        self._db = db
        self._terms = terms
        self._venues = venues

    async def pinned_geometry(self, show_id: str) -> tuple[list[SeatGeometry], VenueGeometry] | None:
        terms = await self._terms.terms(show_id)
        try:
            pinned = await self._venues.get_pinned_layout(layout_id=terms.layout_id, version=terms.layout_version,
                                                          hash=terms.layout_hash)
        except (LayoutNotFound, LayoutIntegrityError, PyMongoError) as exc:
            # Ranks are for best available only: the show still loads and sells seats chosen by buyers.
            log.warning("seating.ranks_unavailable", show_id=show_id, error=type(exc).__name__)
            return None
        layout = pinned.layout
        return ([SeatGeometry(s.seat_id, s.section, s.row, s.x, s.y, s.rank) for s in layout.seats],
                VenueGeometry(focal_point=layout.focal_point, viewport=layout.viewport))

    async def save(self, show_id: str, plan: SeatPlan) -> None:
        async with self._db.unit_of_work() as uow:
            # The inventory's row is the gate: a second process ranking the same show waits on it, then
            # finds the rows written and leaves the first one's ranks as they are.
            claimed = await (await uow.conn.execute(
                "UPDATE seating.show_inventories SET rows = %s WHERE show_id = %s AND rows = '[]'::jsonb"
                " RETURNING show_id",
                (Jsonb(msgspec.to_builtins(plan.rows)), show_id),
            )).fetchone()
            if claimed is None:
                return
            await uow.conn.execute(
                """
                UPDATE seating.show_seats s SET rank = u.rank, row_no = u.row_no, row_pos = u.row_pos
                FROM unnest(%(seat_ids)s::text[], %(ranks)s::integer[], %(row_nos)s::integer[],
                            %(row_poses)s::integer[]) AS u (seat_id, rank, row_no, row_pos)
                WHERE s.show_id = %(show)s AND s.seat_id = u.seat_id AND s.rank IS NULL
                """,
                {"show": show_id, "seat_ids": [p.seat_id for p in plan.places], "ranks": [p.rank for p in plan.places],
                 "row_nos": [p.row_no for p in plan.places], "row_poses": [p.row_pos for p in plan.places]},
            )
            await uow.commit()
