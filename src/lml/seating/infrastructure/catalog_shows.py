"""Shows as the catalog sells them, read through its facade and kept in process for a few seconds.

The hold route must not query PostgreSQL per request, and a show's sale configuration is read-mostly:
its window, limits, hold time, prices and layout change only while it is a draft, never once it sells
(the catalog refuses). What can change on a show that sells is its cancellation, seen here within
TTL_SECONDS. The sale window itself is compared with the clock on every request, so the cache never
keeps a closed sale open. Unknown show ids are remembered too (briefly), so that made-up ids cannot
turn into a query each."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from lml.platform.resources import Resources
from lml.seating.domain.errors import ShowNotFound
from lml.seating.domain.hold import is_canonical_show_id
from lml.seating.domain.sale_rules import SaleRules

if TYPE_CHECKING:
    from lml.catalog.facade import ShowForSale

TTL_SECONDS = 5.0
MAX_SHOWS = 10_000


class CatalogShows:
    """SaleRulesSource, and the catalog's view of a show for the seat map."""

    def __init__(
        self, resources: Resources, *, ttl_seconds: float = TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._resources = resources
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cache: OrderedDict[str, tuple[float, ShowForSale | None]] = OrderedDict()
        self._reading: dict[str, asyncio.Future[ShowForSale | None]] = {}

    async def show(self, show_id: str) -> ShowForSale:
        """Raises ShowNotFound for a show that does not exist (or that buyers cannot see)."""
        found = await self._cached(show_id)
        if found is None:
            raise ShowNotFound()
        return found

    async def rules(self, show_id: str) -> SaleRules:
        show = await self.show(show_id)
        return SaleRules(
            show_id=show.show_id,
            cancelled="cancelled" in (show.status, show.event_status),
            opens_at=show.on_sale_at if show.status == "on_sale" else None,
            closes_at=show.off_sale_at,
            max_seats_per_buyer=show.max_seats_per_buyer,
            hold_seconds=show.hold_seconds,
        )

    async def _cached(self, show_id: str) -> ShowForSale | None:
        entry = self._cache.get(show_id)
        if entry is not None and entry[0] > self._monotonic():
            return entry[1]
        reading = self._reading.get(show_id)
        if reading is not None:  # one read per show at a time, however many requests want it
            return await asyncio.shield(reading)
        future: asyncio.Future[ShowForSale | None] = asyncio.get_running_loop().create_future()
        self._reading[show_id] = future
        try:
            found = await self._read(show_id)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: without waiters, asyncio would log it as lost
            raise
        finally:
            del self._reading[show_id]
        future.set_result(found)
        self._cache[show_id] = (self._monotonic() + self._ttl, found)
        self._cache.move_to_end(show_id)
        while len(self._cache) > MAX_SHOWS:
            self._cache.popitem(last=False)
        return found

    async def _read(self, show_id: str) -> ShowForSale | None:
        # Imported here: the catalog's facade imports seating's (going on sale creates the inventory),
        # and seating's imports this module, so a top-level import would be a cycle.
        from lml.catalog import facade as catalog

        if not is_canonical_show_id(show_id):
            # One spelling per show: Redis keys are built from the id, so an upper-case or brace
            # spelling of the same uuid must not reach them as if it were another show.
            return None
        try:
            return await catalog.get_show_for_sale(self._resources, show_id)
        except catalog.ShowNotFound:
            return None
