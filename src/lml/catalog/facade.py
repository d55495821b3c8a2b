"""What other contexts (and the composition root, the demo seeder) may call on catalog: a
`CatalogFacade`, built by the composition root over the catalog's services.

    show = await catalog.show_for_sale(show_id, uow=uow)     # in the caller's transaction
    show = await catalog.show_for_sale(show_id)              # or a read of its own
    show.sale_status == "on_sale", show.max_seats_per_buyer, show.hold_seconds, show.tier("stalls").price

Acting as no organization (buyers, holds, orders, payments), `show_for_sale` finds the shows of
published events of every organization, never a draft event's: `ShowNotFound` (a NotFound)
otherwise; in an operator's unit of work, that organization's shows only. Its `sale_status` is
derived from the statuses, the sale window and the clock only (`scheduled`, `on_sale`, `off_sale`,
`cancelled`): whether seats are left is seating's to judge, so it never says `sold_out`.
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
from lml.catalog.infrastructure.services import CatalogServices
from lml.catalog.infrastructure.show_schedule import shows_starting
from lml.platform.db import UnitOfWork
from lml.venues.facade import DemoVenue

__all__ = [
    "CatalogFacade",
    "CatalogServices",
    "DemoEvent",
    "FeeInfo",
    "ShowForSale",
    "ShowLayout",
    "ShowNotFound",
    "ShowSummary",
    "TierInfo",
]

DemoEvent = demo.DemoEvent


class ShowLayout(msgspec.Struct, frozen=True, kw_only=True):
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
    layout: ShowLayout
    price_tiers: list[TierInfo]

    def tier(self, tier_id: str) -> TierInfo | None:
        return next((t for t in self.price_tiers if t.tier_id == tier_id), None)


class ShowSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A show as its buyers' mail names it: the event's title, when, and where."""

    show_id: str
    org_id: str
    event_title: str
    status: str  # the show's own: draft, on_sale, cancelled
    starts_at: datetime
    venue_id: str
    venue_name: str
    timezone: str  # the venue's (IANA name)


def _for_sale(show: Show, event_status: str, now: datetime) -> ShowForSale:
    return ShowForSale(
        show_id=show.show_id, org_id=show.org_id, event_id=show.event_id, status=show.status,
        event_status=event_status, sale_status=show.sale_status(event_status, now), starts_at=show.starts_at,
        doors_at=show.doors_at, on_sale_at=show.opens_at, off_sale_at=show.closes_at,
        max_seats_per_buyer=show.max_seats_per_buyer, hold_seconds=show.hold_seconds, currency=show.currency,
        layout=ShowLayout(layout_id=show.layout.layout_id, version=show.layout.version, hash=show.layout.hash),
        price_tiers=[
            TierInfo(tier_id=t.tier_id, name=t.name, price=t.price, unit_total=t.unit_total,
                     fees=[FeeInfo(f.name, f.amount) for f in t.fees])
            for t in show.tiers
        ],
    )


class CatalogFacade:
    def __init__(self, services: CatalogServices) -> None:
        self._services = services

    async def show_for_sale(self, show_id: str, *, uow: UnitOfWork | None = None) -> ShowForSale:
        """What selling the show needs: its window, limits, currency, pinned layout and price tiers. In
        the caller's unit of work (`uow`), or in a read of its own acting as no organization. Raises
        `ShowNotFound`."""
        resources = self._services.resources
        if uow is None:
            async with resources.db.unit_of_work(read_only=True) as own:
                return await self.show_for_sale(show_id, uow=own)
        show = await PgShows(uow.conn).get(show_id)
        event = await PgEvents(uow.conn).get(show.event_id) if show else None
        if show is None or event is None:
            raise ShowNotFound()
        return _for_sale(show, event.status, resources.clock.now())

    async def show_summary(self, show_id: str) -> ShowSummary | None:
        """The show with its event's title and venue, in a read of its own; None for an unknown show."""
        async with self._services.resources.db.unit_of_work() as uow:
            show = await PgShows(uow.conn).get(show_id)
            event = await PgEvents(uow.conn).get(show.event_id) if show else None
        if show is None or event is None:
            return None
        return ShowSummary(show_id=show.show_id, org_id=show.org_id, event_title=event.title, status=show.status,
                           starts_at=show.starts_at, venue_id=event.venue.venue_id, venue_name=event.venue.name,
                           timezone=event.venue.timezone)

    async def shows_starting(self, after: datetime, before: datetime) -> list[str]:
        """Ids of the shows on sale that start in [after, before), soonest first."""
        return await shows_starting(self._services.resources.db, after, before)

    async def seed_demo_catalog(
        self, *, org_id: str, user_id: str | None, venues: Sequence[DemoVenue]
    ) -> list[DemoEvent]:
        """On the demo venues (`VenuesFacade.seed_demo_venues`): "Spring Gala" at the first, two shows
        priced in four tiers, the first on sale; "Late Night Sessions" at the second, standing floor and
        seated balcony, on sale. Idempotent: events found by title are left as they are."""
        return await demo.seed_demo_catalog(self._services.ports, org_id=org_id, user_id=user_id, venues=venues)
