"""Shows' terms of sale as seating keeps them (`seating.show_terms`), read for the hold path, the seat
map and the labels of held places, and kept in process for a few seconds: a hot show's terms are read
once per few seconds per process, however many requests want them. They change only when the show is
cancelled, which the hold script also learns at once (the show is closed in Redis); the sale window
itself is compared with the clock on every request. Unknown show ids are remembered too (briefly), so
that made-up ids cannot turn into a query each."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import AsyncConnection

from lml.platform.db import Database
from lml.platform.expiring_map import ReadThrough
from lml.seating.domain.errors import UnknownShow
from lml.seating.domain.hold import is_canonical_show_id
from lml.seating.domain.sale_rules import SaleRules
from lml.seating.domain.sale_terms import SaleTerms, SaleTier

TTL_SECONDS = 5.0
MAX_SHOWS = 10_000

_SELECT = """
SELECT show_id::text, organization_id::text, event_id::text, cancelled, opens_at, closes_at, starts_at,
       max_seats_per_buyer, hold_seconds, currency, layout_id, layout_version, layout_hash, tiers, avoid_single_seats
FROM seating.show_terms WHERE show_id = %s
"""


async def read_sale_terms(conn: AsyncConnection[dict[str, Any]], show_id: str) -> SaleTerms | None:
    """The show's terms as the connection's transaction sees them; None for a show never put on sale."""
    row = await (await conn.execute(_SELECT, (show_id,))).fetchone()
    if row is None:
        return None
    return SaleTerms(**{**row, "tiers": tuple(msgspec.convert(row["tiers"], list[SaleTier]))})


class SaleTermsReader:
    """SaleRulesSource, and each show's terms for the seat map and place labels."""

    def __init__(self, db: Database, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self._db = db
        self._terms: ReadThrough[str, SaleTerms | None] = ReadThrough(self._read, maxsize=MAX_SHOWS, ttl=ttl_seconds)

    async def terms(self, show_id: str) -> SaleTerms:
        """Raises UnknownShow for a show that never went on sale (or does not exist)."""
        terms = await self._terms.get(show_id)
        if terms is None:
            raise UnknownShow()
        return terms

    async def rules(self, show_id: str) -> SaleRules:
        return (await self.terms(show_id)).rules

    async def _read(self, show_id: str) -> SaleTerms | None:
        if not is_canonical_show_id(show_id):
            # One spelling per show: Redis keys are built from the id, so an upper-case or brace
            # spelling of the same uuid must not reach them as if it were another show.
            return None
        async with self._db.unit_of_work(read_only=True) as uow:
            return await read_sale_terms(uow.conn, show_id)

