"""Ordering's SeatInventory port on seating's facade, in ordering's own transaction: an order's seats
and GA places reserved, sold, released, returned."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lml.ordering.application.ports import PlacesChange
from lml.ordering.domain.errors import SeatsTaken
from lml.ordering.domain.order import Order
from lml.ordering.domain.tickets import Ticket
from lml.platform.db import UnitOfWork
from lml.platform.domain.buyer_limit import limit_key
from lml.seating.facade import SeatingFacade, SeatsUnavailable


class SeatingPlaces:
    def __init__(self, uow: UnitOfWork, seating: SeatingFacade) -> None:
        self._uow = uow
        self._seating = seating

    async def reserve(self, order: Order, *, max_per_buyer: int | None = None) -> PlacesChange:
        buyer = order.buyer
        try:
            return await self._seating.reserve_for_order(
                self._uow, show_id=order.show_id, order_id=order.order_id, seat_ids=order.seat_ids, zones=order.zones,
                hold_id=order.hold_id, buyer_key=limit_key(buyer.kind, buyer.subject, buyer.email),
                max_per_buyer=max_per_buyer)
        except SeatsUnavailable as taken:
            raise SeatsTaken(list(taken.seat_ids), dict(taken.zones)) from None

    async def sell(self, order: Order) -> None:
        await self._seating.mark_sold(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def release(self, order: Order) -> None:
        await self._seating.release_order(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def return_to_sale(self, order: Order) -> None:
        await self._seating.return_to_sale(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def return_places(self, order: Order, tickets: Sequence[Ticket]) -> None:
        zones = Counter(t.zone_id for t in tickets if t.zone_id is not None)
        await self._seating.return_places_to_sale(
            self._uow, show_id=order.show_id, order_id=order.order_id,
            seat_ids=[t.seat_id for t in tickets if t.seat_id is not None], zones=dict(zones))
