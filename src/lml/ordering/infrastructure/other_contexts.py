"""Ordering's ports implemented on the other contexts' facades (seating, catalog, payments).
Facades are imported as modules: payments' worker imports ordering's facade in turn."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lml.catalog import facade as catalog
from lml.ordering.application.ports import PaymentView, ShowTerms, VerifiedHold
from lml.ordering.domain.checkout import HeldSeat, HeldZone, Tier
from lml.ordering.domain.errors import SeatsTaken
from lml.ordering.domain.order import Order
from lml.ordering.domain.tickets import Ticket
from lml.payments import facade as payments
from lml.platform.db import UnitOfWork
from lml.platform.domain.buyer_limit import limit_key
from lml.platform.logging import get_logger
from lml.platform.resources import Resources
from lml.seating import facade as seating

log = get_logger("lml.ordering")


class FacadeSeatInventory:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def reserve(self, order: Order, *, max_per_buyer: int | None = None) -> None:
        buyer = order.buyer
        try:
            await seating.reserve_for_order(self._uow, show_id=order.show_id, order_id=order.order_id,
                                            seat_ids=order.seat_ids, zones=order.zones, hold_id=order.hold_id,
                                            buyer_key=limit_key(buyer.kind, buyer.subject, buyer.email),
                                            max_per_buyer=max_per_buyer)
        except seating.SeatsUnavailable as taken:
            raise SeatsTaken(list(taken.seat_ids), dict(taken.zones)) from None

    async def sell(self, order: Order) -> None:
        await seating.mark_sold(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def release(self, order: Order) -> None:
        await seating.release_order(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def return_to_sale(self, order: Order) -> None:
        await seating.return_to_sale(self._uow, show_id=order.show_id, order_id=order.order_id)

    async def return_places(self, order: Order, tickets: Sequence[Ticket]) -> None:
        zones = Counter(t.zone_id for t in tickets if t.zone_id is not None)
        await seating.return_places_to_sale(self._uow, show_id=order.show_id, order_id=order.order_id,
                                            seat_ids=[t.seat_id for t in tickets if t.seat_id is not None],
                                            zones=dict(zones))


class FacadeRefundRequests:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def request(self, order_id: str, amount: int, reason: str) -> str:
        return await payments.request_refund(self._uow, order_id=order_id, amount=amount, reason=reason)


class SeatingHolds:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def verify(self, hold_id: str, token: str, owner: str) -> VerifiedHold:
        hold = await seating.verify_hold(self._resources, hold_id=hold_id, hold_token=token, owner=owner)
        return VerifiedHold(
            hold_id=hold.hold_id,
            show_id=hold.show_id,
            seats=[HeldSeat(seat_id=s.seat_id, tier_id=s.tier_id, label=s.label) for s in hold.seats],
            zones=[HeldZone(zone_id=z.zone_id, tier_id=z.tier_id, quantity=z.quantity) for z in hold.zones],
            expires_at=hold.expires_at,
        )


class SeatingSync:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def order_changed(self, order: Order, hold_id: str | None = None) -> None:
        try:
            await seating.sync_order(self._resources, show_id=order.show_id, order_id=order.order_id,
                                     hold_id=hold_id)
        except Exception as exc:  # noqa: BLE001 - the committed change stands; the outbox syncs Redis later
            log.warning("seat_sync_deferred", order_id=order.order_id, error=type(exc).__name__)


class CatalogShows:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def sale_status_in(self, uow: UnitOfWork, show_id: str) -> str:
        """The show's sale status (`cancelled` when it or its event is), read in the caller's unit of
        work: an operator's sees their organization's shows only (the catalog's ShowNotFound else)."""
        return (await catalog.get_show_for_sale(uow, show_id)).sale_status

    async def terms(self, show_id: str) -> ShowTerms:
        show = await catalog.get_show_for_sale(self._resources, show_id)
        return ShowTerms(
            show_id=show.show_id,
            organization_id=show.org_id,
            currency=show.currency,
            starts_at=show.starts_at,
            sale_status=show.sale_status,
            tiers={t.tier_id: Tier(tier_id=t.tier_id, name=t.name, price=t.price, fee=t.unit_total - t.price)
                   for t in show.price_tiers},
            max_seats_per_buyer=show.max_seats_per_buyer,
        )


class StripePayments:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def ensure_intent(self, order: Order) -> PaymentView:
        view = await payments.ensure_payment_intent(self._resources, order_id=order.order_id, show_id=order.show_id,
                                                    amount=order.total, currency=order.currency)
        return PaymentView(payment_intent_id=view.payment_intent_id, client_secret=view.client_secret,
                           status=view.status)

    async def cancel_intent(self, order_id: str) -> None:
        await payments.cancel_payment_intent(self._resources, order_id=order_id)
