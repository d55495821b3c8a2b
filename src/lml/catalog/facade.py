"""What other contexts (and the demo seeder) may call on catalog.

    show = await catalog.get_show_for_sale(uow, show_id)          # in the caller's transaction
    show = await catalog.get_show_for_sale(resources, show_id)    # or a read of its own
    show.sale_status == "on_sale", show.max_seats_per_buyer, show.hold_seconds, show.tier("stalls").price

Acting as no organization (buyers, holds, orders, payments), `get_show_for_sale` finds the shows of
published events of every organization, never a draft event's: `ShowNotFound` (a NotFound)
otherwise. Its `sale_status` is derived from the statuses, the sale window and `now` only
(`scheduled`, `on_sale`, `off_sale`, `cancelled`): whether seats are left is seating's to judge, so
it never says `sold_out`.

Call it through a module import (`from lml.catalog import facade as catalog`): catalog's on-sale
calls seating's facade, so a `from lml.catalog.facade import ...` at the top of a seating module
would be an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from lml.catalog.domain.errors import ShowNotFound
from lml.catalog.domain.sale import SaleStatus
from lml.catalog.domain.show import Show
from lml.catalog.infrastructure import demo
from lml.catalog.infrastructure.pg_events import PgEvents
from lml.catalog.infrastructure.pg_shows import PgShows
from lml.catalog.infrastructure.wiring import catalog_ports
from lml.platform.clock import SystemClock
from lml.platform.db import UnitOfWork
from lml.platform.resources import Resources
from lml.venues.facade import DemoVenue

__all__ = [
    "DemoEvent",
    "FeeInfo",
    "PinnedLayout",
    "ShowForSale",
    "ShowNotFound",
    "TierInfo",
    "get_show_for_sale",
    "seed_demo_catalog",
]

DemoEvent = demo.DemoEvent


class PinnedLayout(msgspec.Struct, frozen=True, kw_only=True):
    """The one layout version a show sells: its seat ids and geometry never change."""

    layout_id: str
    version: int
    hash: str


class FeeInfo(msgspec.Struct, frozen=True):
    name: str
    amount: int


class TierInfo(msgspec.Struct, frozen=True, kw_only=True):
    tier_id: str
    name: str
    price: int  # minor units of the show's currency
    fees: list[FeeInfo]
    unit_total: int  # price + fees: what one ticket of this tier costs


class ShowForSale(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    org_id: str
    event_id: str
    status: str  # the show's own: draft, on_sale, cancelled
    event_status: str  # published or cancelled (draft only for its own organization's unit of work)
    sale_status: SaleStatus  # never sold_out here (see the module's doc)
    starts_at: datetime
    doors_at: datetime | None
    on_sale_at: datetime | None  # when sales open (None: not on sale yet)
    off_sale_at: datetime  # when sales close (the show's start unless set earlier)
    max_seats_per_buyer: int
    hold_seconds: int
    currency: str
    layout: PinnedLayout
    price_tiers: list[TierInfo]

    def tier(self, tier_id: str) -> TierInfo | None:
        return next((t for t in self.price_tiers if t.tier_id == tier_id), None)


def _for_sale(show: Show, event_status: str, now: datetime) -> ShowForSale:
    return ShowForSale(
        show_id=show.show_id, org_id=show.org_id, event_id=show.event_id, status=show.status,
        event_status=event_status, sale_status=show.sale_status(event_status, now), starts_at=show.starts_at,
        doors_at=show.doors_at, on_sale_at=show.opens_at, off_sale_at=show.closes_at,
        max_seats_per_buyer=show.max_seats_per_buyer, hold_seconds=show.hold_seconds, currency=show.currency,
        layout=PinnedLayout(layout_id=show.layout.layout_id, version=show.layout.version, hash=show.layout.hash),
        price_tiers=[
            TierInfo(tier_id=t.tier_id, name=t.name, price=t.price, unit_total=t.unit_total,
                     fees=[FeeInfo(f.name, f.amount) for f in t.fees])
            for t in show.tiers
        ],
    )


async def get_show_for_sale(
    source: UnitOfWork | Resources, show_id: str, *, now: datetime | None = None
) -> ShowForSale:
    """What selling the show needs: its window, limits, currency, pinned layout and price tiers.
    In the caller's unit of work, or (given the process's Resources) in a read of its own acting as
    no organization; `now` defaults to the resources' clock (else the system's). Raises `ShowNotFound`."""
    if isinstance(source, Resources):
        async with source.db.unit_of_work() as uow:
            return await get_show_for_sale(uow, show_id, now=now or source.clock.now())
    show = await PgShows(source.conn).get(show_id)
    event = await PgEvents(source.conn).get(show.event_id) if show else None
    if show is None or event is None:
        raise ShowNotFound()
    return _for_sale(show, event.status, now or SystemClock().now())


async def seed_demo_catalog(
    resources: Resources, *, org_id: str, user_id: str | None, venues: Sequence[DemoVenue]
) -> list[DemoEvent]:
    """On the demo venues (`venues.facade.seed_demo_venues`): "Spring Gala" at the first, two shows
    priced in four tiers, the first on sale; "Late Night Sessions" at the second, standing floor and
    seated balcony, on sale. Idempotent: events found by title are left as they are."""
    return await demo.seed_demo_catalog(catalog_ports(resources), org_id=org_id, user_id=user_id, venues=venues)
