"""Ordering's Holds and SeatSync ports on seating's facade: a buyer's hold checked before it becomes
an order, and Redis caught up with an order's seats right after a commit."""

from __future__ import annotations

from lml.ordering.application.ports import HoldForOrder, PlacesChange
from lml.ordering.domain.checkout import ChosenSeat, ChosenZone
from lml.ordering.domain.order import Order
from lml.platform.logging import get_logger
from lml.seating.facade import InventoryChanged, SeatingFacade

log = get_logger("lml.ordering")


class SeatingHolds:
    def __init__(self, seating: SeatingFacade) -> None:
        self._seating = seating

    async def verify(self, hold_id: str, token: str, owner: str) -> HoldForOrder:
        hold = await self._seating.verify_hold(hold_id=hold_id, hold_token=token, owner=owner)
        return HoldForOrder(
            hold_id=hold.hold_id,
            show_id=hold.show_id,
            seats=[ChosenSeat(seat_id=s.seat_id, tier_id=s.tier_id, label=s.label) for s in hold.seats],
            zones=[ChosenZone(zone_id=z.zone_id, tier_id=z.tier_id, quantity=z.quantity) for z in hold.zones],
            expires_at=hold.expires_at,
        )


class SeatingSync:
    def __init__(self, seating: SeatingFacade) -> None:
        self._seating = seating

    async def order_changed(
        self, order: Order, hold_id: str | None = None, change: PlacesChange | None = None
    ) -> None:
        # What `SeatingPlaces` handed over is the change seating recorded; anything else is read back.
        recorded = change if isinstance(change, InventoryChanged) else None
        try:
            await self._seating.sync_order(show_id=order.show_id, order_id=order.order_id, hold_id=hold_id,
                                           recorded=recorded)
        except Exception as exc:  # noqa: BLE001 - the committed change stands; the outbox syncs Redis later
            log.warning("seat_sync_deferred", order_id=order.order_id, error=type(exc).__name__)
