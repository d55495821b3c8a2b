"""The `Bookings` port on the contexts that own the facts: ordering (the order, its places and
tickets, the buyers holding tickets), the catalog (the show and its event), venues (the venue's
address) and identity (how the organization dresses its mail: sender name, reply-to). Read when a
message is rendered; notifications keeps none of it.

`within(uow)` reads the buyer in a transaction the caller holds (an outbox event's delivery): a
handler that held one pool connection and waited for another could, with as many deliveries at
once as the pool has connections, wait for ever (until PostgreSQL ends the idle transactions)."""

from __future__ import annotations

from datetime import datetime

from lml.catalog.facade import CatalogFacade
from lml.identity.facade import IdentityFacade
from lml.notifications.application.views import OrderBuyer, OrderItem, OrderSummary, ShowSummary
from lml.ordering.facade import OrderingFacade, PlaceDetails
from lml.platform.db import UnitOfWork
from lml.venues.facade import VenueNotFound, VenuesFacade


class FacadeBookings:
    def __init__(
        self, ordering: OrderingFacade, catalog: CatalogFacade, venues: VenuesFacade, identity: IdentityFacade,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._ordering = ordering
        self._catalog = catalog
        self._venues = venues
        self._identity = identity
        self._uow = uow

    def within(self, uow: UnitOfWork) -> FacadeBookings:
        return FacadeBookings(self._ordering, self._catalog, self._venues, self._identity, uow)

    async def buyer(self, order_id: str) -> OrderBuyer | None:
        contact = await self._ordering.order_contact(order_id, self._uow)
        if contact is None or contact.buyer_email is None:
            return None
        return OrderBuyer(order_id=contact.order_id, organization_id=contact.organization_id,
                          show_id=contact.show_id, email=contact.buyer_email, phone=contact.buyer_phone)

    async def order(self, order_id: str) -> OrderSummary | None:
        details = await self._ordering.order_details(order_id)
        if details is None or details.buyer_email is None:
            return None
        show = await self.show(details.show_id)
        if show is None:
            return None
        return OrderSummary(order_id=details.order_id, show=show, buyer_email=details.buyer_email,
                            items=[_item(place) for place in details.places], total=details.total,
                            currency=details.currency, buyer_phone=details.buyer_phone)

    async def show(self, show_id: str) -> ShowSummary | None:
        show = await self._catalog.show_summary(show_id)
        if show is None:
            return None
        try:
            venue = await self._venues.get_venue(org_id=show.org_id, venue_id=show.venue_id)
            address = ", ".join(part for part in (venue.address, venue.city) if part)
        except VenueNotFound:  # the event keeps its venue's name and timezone; the address is a nicety
            address = ""
        dress = await self._identity.organization_mail(show.org_id)
        return ShowSummary(show_id=show.show_id, organization_id=show.org_id, event_title=show.event_title,
                           starts_at=show.starts_at, timezone=show.timezone, venue_name=show.venue_name,
                           venue_address=address, sender_name=dress.mail_from_name if dress else None,
                           reply_to=dress.reply_to if dress else None)

    async def shows_starting(self, after: datetime, before: datetime) -> list[ShowSummary]:
        found = [await self.show(show_id) for show_id in await self._catalog.shows_starting(after, before)]
        return [show for show in found if show is not None]

    async def ticket_holders(self, show_id: str, *, after: str | None, limit: int) -> list[str]:
        return await self._ordering.ticket_holders(show_id, after=after, limit=limit)


def _item(place: PlaceDetails) -> OrderItem:
    return OrderItem(place=place.seat_label or place.zone_id or "", tier=place.tier_name, price=place.price,
                     code=place.code, qr_payload=place.qr_payload)
