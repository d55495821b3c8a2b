"""In-memory fakes of ordering's ports, for the use cases' unit tests (themselves tested there).

`MemoryWorld` is the whole state (orders, tickets, seats, refund requests, published events);
a transaction works on a copy and puts it back on `commit()`, so an exception or a missing commit
leaves the world as it was, as PostgreSQL would."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from lml.ordering.application.ports import HoldForOrder, PaymentView, ShowTerms
from lml.ordering.domain.errors import HoldAlreadyOrdered, SeatsTaken
from lml.ordering.domain.order import AWAITING_PAYMENT, OPEN, Moved, Order
from lml.ordering.domain.refund_policy import RefundPolicy
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.domain.tickets import Ticket
from lml.platform.domain.buyer_limit import BuyerLimitExceeded, limit_key
from lml.platform.domain.errors import NotFound, Unavailable


@dataclass
class MemoryState:
    orders: dict[str, Order] = field(default_factory=dict)
    audit: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)  # order, actor, action, from, to
    tickets: dict[str, Ticket] = field(default_factory=dict)
    seats: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # seat → (status, order id)
    zones: dict[str, list[int]] = field(default_factory=dict)  # zone → [capacity, reserved, sold]
    zone_orders: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (order, zone) → (status, qty)
    refund_requests: list[tuple[str, str, int, str]] = field(default_factory=list)  # id, order, amount, reason
    cancelled_shows: dict[str, str | None] = field(default_factory=dict)  # show → finished at (ISO) or None
    policies: dict[str, RefundPolicy] = field(default_factory=dict)
    buyer_requests: dict[str, RefundRequest] = field(default_factory=dict)
    returned_places: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # order, ticket ids
    handled_orders: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # order → (show, action, amount)
    events: list[msgspec.Struct] = field(default_factory=list)


class MemoryOrders:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, order: Order, *, actor: str) -> None:
        existing = await self.order_for_hold(order.hold_id)
        if existing:
            raise HoldAlreadyOrdered(existing[0])
        self._s.orders[order.order_id] = order
        self._s.audit.append((order.order_id, actor, "created", None, order.status.value))

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return self._s.orders.get(order_id)

    async def order_for_hold(self, hold_id: str) -> tuple[str, str] | None:
        for order in self._s.orders.values():
            if order.hold_id == hold_id:
                return order.order_id, order.buyer.owner
        return None

    async def save(self, moved: Moved, *, actor: str, at: datetime, detail: dict[str, Any] | None = None) -> None:
        current = self._s.orders[moved.order.order_id]
        if current.status != moved.transition.from_status:
            raise AssertionError(f"order {current.order_id} is {current.status}, not {moved.transition.from_status}")
        self._s.orders[moved.order.order_id] = moved.order
        t = moved.transition
        self._s.audit.append((moved.order.order_id, actor, t.trigger.value, t.from_status.value, t.to_status.value))

    async def note(self, order: Order, *, actor: str, at: datetime, action: str, detail: dict[str, Any]) -> None:
        self._s.audit.append((order.order_id, actor, action, order.status.value, order.status.value))

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        due = sorted((o for o in self._s.orders.values() if o.is_due(now)), key=lambda o: o.expires_at)
        return [o.order_id for o in due[:limit]]

    async def awaiting_payment(self, created_before: datetime, limit: int) -> list[str]:
        waiting = [o for o in self._s.orders.values()
                   if o.status in AWAITING_PAYMENT and o.created_at <= created_before]
        return [o.order_id for o in sorted(waiting, key=lambda o: o.created_at)[:limit]]


class MemoryTickets:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def issue(self, tickets: Sequence[Ticket], organization_id: str, at: datetime) -> None:
        for ticket in tickets:
            for other in self._s.tickets.values():
                same_seat = ticket.seat_id is not None and (other.show_id, other.seat_id) == (ticket.show_id,
                                                                                              ticket.seat_id)
                same_place = (other.order_id, other.line_no, other.unit) == (ticket.order_id, ticket.line_no,
                                                                              ticket.unit)
                if same_place or (same_seat and other.status == "valid"):
                    raise AssertionError(f"ticket {ticket} would be issued twice")
            self._s.tickets[ticket.ticket_id] = ticket

    async def void_all(self, order_id: str, at: datetime) -> int:
        voided = [t for t in self._s.tickets.values() if t.order_id == order_id and t.status == "valid"]
        for ticket in voided:
            self._s.tickets[ticket.ticket_id] = msgspec.structs.replace(ticket, status="void")
        return len(voided)

    async def void(self, order_id: str, ticket_ids: Sequence[str], at: datetime) -> int:
        voided = [t for t in self._s.tickets.values()
                  if t.order_id == order_id and t.ticket_id in ticket_ids and t.status == "valid"]
        for ticket in voided:
            self._s.tickets[ticket.ticket_id] = msgspec.structs.replace(ticket, status="void")
        return len(voided)

    async def of_order(self, order_id: str) -> list[Ticket]:
        return [t for t in self._s.tickets.values() if t.order_id == order_id]


class MemorySeats:
    """One show's seats and GA zones, as seating's conditional updates treat them."""

    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _counted(self, buyer_key: str) -> int:
        """Places of the buyer's orders, reserved or sold: what seating counts against the limit."""
        mine = {o.order_id for o in self._s.orders.values()
                if limit_key(o.buyer.kind, o.buyer.subject, o.buyer.email) == buyer_key}
        counted = ("reserved", "sold")
        seats = sum(1 for status, owner in self._s.seats.values() if owner in mine and status in counted)
        return seats + sum(qty for (order_id, _), (status, qty) in self._s.zone_orders.items()
                           if order_id in mine and status in counted)

    async def reserve(self, order: Order, *, max_per_buyer: int | None = None) -> None:
        if max_per_buyer is not None:
            ordered = self._counted(limit_key(order.buyer.kind, order.buyer.subject, order.buyer.email))
            requested = len(order.seat_ids) + sum(order.zones.values())
            if ordered + requested > max_per_buyer:
                raise BuyerLimitExceeded(requested=requested, held=0, ordered=ordered, limit=max_per_buyer)
        taken = [s for s in order.seat_ids if self._s.seats.get(s, ("unknown", None))[0] != "available"]
        short = {z: q for z, q in order.zones.items()
                 if sum(self._s.zones[z][1:]) + q > self._s.zones[z][0]}
        if taken or short:
            raise SeatsTaken(taken, short)
        for seat in order.seat_ids:
            self._s.seats[seat] = ("reserved", order.order_id)
        for zone, qty in order.zones.items():
            self._s.zones[zone][1] += qty
            self._s.zone_orders[(order.order_id, zone)] = ("reserved", qty)

    def _move(self, order: Order, source: str, target: str) -> None:
        for seat, (status, owner) in list(self._s.seats.items()):
            if owner == order.order_id and status == source:
                self._s.seats[seat] = (target, None if target == "available" else owner)
        index = {"reserved": 1, "sold": 2}
        for zone in order.zones:
            status, qty = self._s.zone_orders.get((order.order_id, zone), ("", 0))
            if status == source:
                self._s.zones[zone][index[source]] -= qty
                if target in index:
                    self._s.zones[zone][index[target]] += qty
                self._s.zone_orders[(order.order_id, zone)] = (target, qty)

    async def sell(self, order: Order) -> None:
        self._move(order, "reserved", "sold")

    async def release(self, order: Order) -> None:
        self._move(order, "reserved", "available")

    async def return_to_sale(self, order: Order) -> None:
        self._move(order, "sold", "available")

    async def return_places(self, order: Order, tickets: Sequence[Ticket]) -> None:
        for ticket in tickets:
            if ticket.seat_id is not None and self._s.seats.get(ticket.seat_id) == ("sold", order.order_id):
                self._s.seats[ticket.seat_id] = ("available", None)
            elif ticket.zone_id is not None:
                self._s.zones[ticket.zone_id][2] -= 1
        self._s.returned_places.append((order.order_id, tuple(t.ticket_id for t in tickets)))


class MemoryRefundRequests:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def request(self, order_id: str, amount: int, reason: str) -> str:
        refund_id = f"refund-{len(self._s.refund_requests) + 1}"
        self._s.refund_requests.append((refund_id, order_id, amount, reason))
        return refund_id


class MemoryCancellations:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def start(self, show_id: str, organization_id: str, cancelled_at: datetime) -> bool:
        if show_id in self._s.cancelled_shows:
            return False
        self._s.cancelled_shows[show_id] = None
        return True

    async def covers(self, show_id: str) -> bool:
        return show_id in self._s.cancelled_shows

    async def next_orders(self, limit: int) -> list[str]:
        open_orders = [o for o in self._s.orders.values()
                       if self._s.cancelled_shows.get(o.show_id, "finished") is None
                       and o.order_id not in self._s.handled_orders
                       and o.status in OPEN]
        return [o.order_id for o in sorted(open_orders, key=lambda o: o.order_id)[:limit]]

    async def handled(
        self, order: Order, *, action: str, at: datetime, refund_id: str | None = None, amount: int = 0
    ) -> None:
        self._s.handled_orders[order.order_id] = (order.show_id, action, amount)

    async def finish(self, at: datetime) -> list[str]:
        running = [show for show, finished in self._s.cancelled_shows.items() if finished is None]
        done = [show for show in running
                if not any(o.show_id == show for o in self._s.orders.values()
                           if o.order_id not in self._s.handled_orders
                           and o.status in OPEN)]
        for show in done:
            self._s.cancelled_shows[show] = at.isoformat()
        return done


class MemoryPolicies:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def get(self, show_id: str) -> RefundPolicy | None:
        return self._s.policies.get(show_id)

    async def put(self, show_id: str, organization_id: str, policy: RefundPolicy, *, by: str, at: datetime) -> None:
        self._s.policies[show_id] = policy


class MemoryRefundRequestRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, request: RefundRequest) -> None:
        if await self.pending_for(request.order_id) is not None:
            raise AssertionError(f"order {request.order_id} has a pending request already")
        self._s.buyer_requests[request.request_id] = request

    async def get(self, request_id: str, *, for_update: bool = False) -> RefundRequest | None:
        return self._s.buyer_requests.get(request_id)

    async def pending_for(self, order_id: str) -> RefundRequest | None:
        return next((r for r in self._s.buyer_requests.values() if r.order_id == order_id and r.status == "pending"),
                    None)

    async def of_order(self, order_id: str) -> list[RefundRequest]:
        mine = [r for r in self._s.buyer_requests.values() if r.order_id == order_id]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)

    async def save(self, request: RefundRequest) -> None:
        self._s.buyer_requests[request.request_id] = request


class MemoryTransaction:
    def __init__(self, world: MemoryWorld) -> None:
        self._world = world
        self.state = copy.deepcopy(world.state)
        self._bind()

    def _bind(self) -> None:
        self.orders = MemoryOrders(self.state)
        self.tickets = MemoryTickets(self.state)
        self.seats = MemorySeats(self.state)
        self.refunds = MemoryRefundRequests(self.state)
        self.cancellations = MemoryCancellations(self.state)
        self.policies = MemoryPolicies(self.state)
        self.refund_requests = MemoryRefundRequestRepository(self.state)

    async def publish(self, event: msgspec.Struct) -> None:
        self.state.events.append(event)

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def nested() -> AsyncIterator[None]:
            saved = copy.deepcopy(self.state)
            try:
                yield
            except BaseException:
                self.state.__dict__.update(saved.__dict__)
                raise

        return nested()

    async def commit(self) -> None:
        self._world.state = copy.deepcopy(self.state)


class MemoryWorld:
    """Every fake port of ordering over one in-memory state."""

    def __init__(self, seats: Sequence[str] = (), zones: dict[str, int] | None = None) -> None:
        self.state = MemoryState(seats={s: ("available", None) for s in seats},
                                 zones={z: [cap, 0, 0] for z, cap in (zones or {}).items()})
        self.holds: dict[str, tuple[str, str, HoldForOrder]] = {}  # hold id → (token, owner, hold)
        self.shows: dict[str, ShowTerms] = {}
        self.intents: dict[str, PaymentView] = {}
        self.cancelled_intents: list[str] = []
        self.provider_down = False
        self.synced: list[tuple[str, str | None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        yield MemoryTransaction(self)

    # Holds
    async def verify(self, hold_id: str, token: str, owner: str) -> HoldForOrder:
        found = self.holds.get(hold_id)
        if found is None or found[0] != token or found[1] != owner:
            raise NotFound("No such hold")
        return found[2]

    # Shows
    async def terms(self, show_id: str) -> ShowTerms:
        return self.shows[show_id]

    # Payments
    async def ensure_intent(self, order: Order) -> PaymentView:
        if self.provider_down:
            raise Unavailable(detail="The payment provider cannot be reached")
        number = len(self.intents) + 1
        return self.intents.setdefault(order.order_id, PaymentView(
            payment_intent_id=f"pi_{number}", client_secret=f"pi_{number}_secret", status="requires_payment_method"))

    async def cancel_intent(self, order_id: str) -> None:
        self.cancelled_intents.append(order_id)

    # SeatSync
    async def order_changed(self, order: Order, hold_id: str | None = None) -> None:
        self.synced.append((order.order_id, hold_id))
