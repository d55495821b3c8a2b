"""In-memory fakes of ordering's ports, for the use cases' unit tests; checked against PostgreSQL by
the contracts in tests/integration/ordering (`test_transaction_contract.py`,
`test_seat_inventory_contract.py`).

`MemoryWorld` holds what is committed (orders, tickets, seats, refund requests, published events).
A transaction reads it through its own writes and puts those into it on `commit()`: an exception or
a missing commit leaves the world as it was, and what other transactions commit meanwhile is read
at once, as under PostgreSQL's READ COMMITTED. The rows PostgreSQL locks stay locked until the
transaction ends, and another transaction waits for them, then reads them as committed: an order
read `for_update` (the orders a sweep or a cancellation batch takes skip those another transaction
holds), a refund request read `for_update`, a hold being ordered (its id is unique), and the seats,
GA zones and buyer's count that an order's places change."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections import ChainMap, Counter
from collections.abc import AsyncIterator, Iterable, MutableMapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import msgspec

from lml.ordering.application.ports import HoldForOrder, PaymentView, PlacesChange, ShowTerms
from lml.ordering.domain.errors import HoldAlreadyOrdered, SeatsTaken
from lml.ordering.domain.order import AWAITING_PAYMENT, OPEN, Moved, Order, Refund
from lml.ordering.domain.refund_policy import RefundPolicy
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.domain.tickets import Ticket
from lml.platform.domain.buyer_limit import BuyerLimitExceeded, limit_key
from lml.platform.domain.errors import BrokenInvariant, NotFound, Unavailable


class ReservedPlaces(msgspec.Struct, frozen=True):
    """What the in-memory seats report of an order's places reserved."""

    order_id: str


@dataclass
class MemoryState:
    """Tables (mappings by key) and append-only logs (lists). The world's are plain dicts; a
    transaction's read through its own writes (`ChainMap`) and keep its own appends."""

    orders: MutableMapping[str, Order] = field(default_factory=dict)
    # order, actor, action, from, to
    audit: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)
    tickets: MutableMapping[str, Ticket] = field(default_factory=dict)
    seats: MutableMapping[str, tuple[str, str | None]] = field(default_factory=dict)  # seat → (status, order id)
    zones: MutableMapping[str, list[int]] = field(default_factory=dict)  # zone → [capacity, reserved, sold]
    # (order, zone) → (reserved | sold | released | returned, quantity, returned one by one)
    zone_orders: MutableMapping[tuple[str, str], tuple[str, int, int]] = field(default_factory=dict)
    refund_requests: list[tuple[str, str, int, str]] = field(default_factory=list)  # id, order, amount, reason
    # Refund id → when it was first saved: an order's refunds come in that order (by id when saved at once).
    refunds_saved: MutableMapping[str, datetime] = field(default_factory=dict)
    cancelled_shows: MutableMapping[str, str | None] = field(default_factory=dict)  # show → finished at (ISO)
    policies: MutableMapping[str, RefundPolicy] = field(default_factory=dict)
    buyer_requests: MutableMapping[str, RefundRequest] = field(default_factory=dict)
    # order → (show, action, amount)
    handled_orders: MutableMapping[str, tuple[str, str, int]] = field(default_factory=dict)
    events: list[msgspec.Struct] = field(default_factory=list)


def _reading_through(world: MemoryState) -> MemoryState:
    view = MemoryState()
    for table in fields(MemoryState):
        committed = getattr(world, table.name)
        setattr(view, table.name, [] if isinstance(committed, list) else ChainMap({}, committed))
    return view


def _tables(state: MemoryState) -> list[Any]:
    return [getattr(state, table.name) for table in fields(MemoryState)]


def _own(table: Any) -> Any:
    """A transaction's own part of one of its tables: its writes (a dict) or its appends (a list)."""
    return table.maps[0] if isinstance(table, ChainMap) else table


def _put(target: Any, own: Any) -> None:
    if isinstance(target, list):
        target.extend(own)
    else:
        target.update(own)


class RowLocks:
    """The world's row locks, each held by one transaction until it ends."""

    def __init__(self) -> None:
        self._holders: dict[str, object] = {}
        self._released = asyncio.Event()
        self.waiting = 0  # transactions waiting for a lock right now

    def try_acquire(self, key: str, owner: object) -> bool:
        return self._holders.setdefault(key, owner) is owner

    async def acquire(self, key: str, owner: object) -> None:
        while not self.try_acquire(key, owner):
            self.waiting += 1
            try:
                await self._released.wait()
            finally:
                self.waiting -= 1

    def release(self, owner: object) -> None:
        held = [key for key, holder in self._holders.items() if holder is owner]
        for key in held:
            del self._holders[key]
        if held:
            self._released.set()
            self._released = asyncio.Event()


class _Rows:
    """What a transaction's stores share: its view of the world, and the row locks it takes."""

    def __init__(self, world: MemoryWorld, owner: object) -> None:
        self.state = _reading_through(world.state)
        self.world = world
        self._owner = owner

    async def lock(self, *keys: str) -> None:
        """Waits for each row another transaction holds (take them in one order everywhere)."""
        for key in keys:
            await self.world.locks.acquire(key, self._owner)

    def skip_locked(self, order_ids: Iterable[str], limit: int) -> list[str]:
        """The first `limit` of these orders that no other transaction holds, locked now."""
        free = (order_id for order_id in order_ids if self.world.locks.try_acquire(f"order:{order_id}", self._owner))
        return list(itertools.islice(free, limit))


class MemoryOrders:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows
        self._s = rows.state

    async def add(self, order: Order, *, actor: str) -> None:
        await self._rows.lock(f"hold:{order.hold_id}")  # a twin being added elsewhere is waited for
        existing = await self.order_for_hold(order.hold_id)
        if existing:
            raise HoldAlreadyOrdered(existing[0])
        self._s.orders[order.order_id] = order
        self._s.audit.append((order.order_id, actor, "created", None, order.status.value))

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        if for_update and order_id in self._s.orders:
            await self._rows.lock(f"order:{order_id}")
        return self._s.orders.get(order_id)

    async def locked_with_show_cancelled(self, order_id: str) -> tuple[Order, bool] | None:
        order = await self.get(order_id, for_update=True)
        return (order, order.show_id in self._s.cancelled_shows) if order else None

    async def order_for_hold(self, hold_id: str) -> tuple[str, str] | None:
        for order in self._s.orders.values():
            if order.hold_id == hold_id:
                return order.order_id, order.buyer.owner
        return None

    async def save(self, moved: Moved, *, actor: str, at: datetime, detail: dict[str, Any] | None = None) -> None:
        order, t = moved.order, moved.transition
        current = self._s.orders.get(order.order_id)
        if current is None or current.status != t.from_status:
            raise BrokenInvariant(f"order {order.order_id} is no longer {t.from_status.value}")
        self._s.orders[order.order_id] = msgspec.structs.replace(
            current, status=order.status, payment_intent_id=order.payment_intent_id, amount_paid=order.amount_paid,
            paid_at=order.paid_at, failure_reason=order.failure_reason, unseated=order.unseated,
            refunds=self._refunds(current, moved.changed_refunds, at))
        self._s.audit.append((order.order_id, actor, t.trigger.value, t.from_status.value, t.to_status.value))

    def _refunds(self, current: Order, changed: Sequence[Refund], at: datetime) -> tuple[Refund, ...]:
        """The stored refunds with the changed ones written over them; one with a final status is kept."""
        refunds = {refund.refund_id: refund for refund in current.refunds}
        for refund in changed:
            known = refunds.get(refund.refund_id)
            if known is None:
                refunds[refund.refund_id] = refund
                self._s.refunds_saved[refund.refund_id] = at
            elif known.is_open and (known.status, known.amount) != (refund.status, refund.amount):
                refunds[refund.refund_id] = msgspec.structs.replace(
                    known, status=refund.status, amount=refund.amount, failure_reason=refund.failure_reason)
        return tuple(sorted(refunds.values(), key=lambda r: (self._s.refunds_saved[r.refund_id], r.refund_id)))

    async def note(self, order: Order, *, actor: str, at: datetime, action: str, detail: dict[str, Any]) -> None:
        self._s.audit.append((order.order_id, actor, action, order.status.value, order.status.value))

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        due = sorted((o for o in self._s.orders.values() if o.is_due(now)), key=lambda o: o.expires_at)
        return self._rows.skip_locked((o.order_id for o in due), limit)

    async def awaiting_payment(self, created_before: datetime, limit: int) -> list[str]:
        waiting = [o for o in self._s.orders.values()
                   if o.status in AWAITING_PAYMENT and o.created_at <= created_before]
        return [o.order_id for o in sorted(waiting, key=lambda o: o.created_at)[:limit]]


class MemoryTickets:
    def __init__(self, rows: _Rows) -> None:
        self._s = rows.state

    async def issue(self, tickets: Sequence[Ticket], organization_id: str, at: datetime) -> None:
        for ticket in tickets:
            for other in self._s.tickets.values():
                same_seat = ticket.seat_id is not None and (other.show_id, other.seat_id) == (ticket.show_id,
                                                                                              ticket.seat_id)
                same_place = (other.order_id, other.line_no, other.unit) == (ticket.order_id, ticket.line_no,
                                                                              ticket.unit)
                if same_place or (same_seat and other.status == "valid"):
                    raise BrokenInvariant(f"ticket {ticket} would be issued twice")
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
        return sorted((t for t in self._s.tickets.values() if t.order_id == order_id),
                      key=lambda t: (t.line_no, t.unit or 0))


def _seat_and_zone_rows(seat_ids: Iterable[str], zone_ids: Iterable[str]) -> list[str]:
    """Lock keys in the order every writer takes them: seats, then zones, each by id."""
    return [*(f"seat:{s}" for s in sorted(seat_ids)), *(f"zone:{z}" for z in sorted(zone_ids))]


class MemorySeats:
    """One show's seats and GA zones, as seating's conditional updates treat them."""

    def __init__(self, rows: _Rows) -> None:
        self._rows = rows
        self._s = rows.state

    def _counted(self, show_id: str, buyer_key: str) -> int:
        """Places of the buyer's orders at the show, reserved or sold: what seating counts against the limit."""
        mine = {o.order_id for o in self._s.orders.values()
                if o.show_id == show_id and limit_key(o.buyer.kind, o.buyer.subject, o.buyer.email) == buyer_key}
        counted = ("reserved", "sold")
        seats = sum(1 for status, owner in self._s.seats.values() if owner in mine and status in counted)
        return seats + sum(quantity - returned for (order_id, _), (status, quantity, returned)
                           in self._s.zone_orders.items() if order_id in mine and status in counted)

    async def reserve(self, order: Order, *, max_per_buyer: int | None = None) -> PlacesChange:
        buyer_key = limit_key(order.buyer.kind, order.buyer.subject, order.buyer.email)
        await self._rows.lock(*_seat_and_zone_rows(order.seat_ids, order.zones), f"buyer:{order.show_id}:{buyer_key}")
        if max_per_buyer is not None:
            ordered = self._counted(order.show_id, buyer_key)
            requested = len(order.seat_ids) + sum(order.zones.values())
            if ordered + requested > max_per_buyer:
                raise BuyerLimitExceeded(requested=requested, held=0, ordered=ordered, limit=max_per_buyer)
        taken = [s for s in order.seat_ids if self._s.seats.get(s, ("unknown", None))[0] != "available"]
        short: dict[str, int] = {}
        for zone in sorted(order.zones):
            capacity, reserved, sold = self._s.zones.get(zone, [0, 0, 0])
            if reserved + sold + order.zones[zone] > capacity:
                short[zone] = max(0, capacity - reserved - sold)  # what it has left
        if taken or short:
            raise SeatsTaken(taken, short)
        for seat in order.seat_ids:
            self._s.seats[seat] = ("reserved", order.order_id)
        for zone, quantity in order.zones.items():
            capacity, reserved, sold = self._s.zones[zone]
            self._s.zones[zone] = [capacity, reserved + quantity, sold]
            self._s.zone_orders[(order.order_id, zone)] = ("reserved", quantity, 0)
        return ReservedPlaces(order.order_id)

    async def _move(self, order: Order, source: str, *, seat_target: str, place_target: str) -> None:
        seats = [seat for seat, (_, owner) in self._s.seats.items() if owner == order.order_id]
        zones = [zone for (order_id, zone) in self._s.zone_orders if order_id == order.order_id]
        await self._rows.lock(*_seat_and_zone_rows(seats, zones))
        for seat in seats:
            if self._s.seats[seat] == (source, order.order_id):
                self._s.seats[seat] = (seat_target, None if seat_target == "available" else order.order_id)
        for zone in zones:
            status, quantity, returned = self._s.zone_orders[(order.order_id, zone)]
            if status != source:
                continue
            capacity, reserved, sold = self._s.zones[zone]
            counts = {"reserved": reserved, "sold": sold}
            counts[source] -= quantity - returned  # the places given back one by one went already
            if place_target in counts:
                counts[place_target] += quantity - returned
            self._s.zones[zone] = [capacity, counts["reserved"], counts["sold"]]
            self._s.zone_orders[(order.order_id, zone)] = (place_target, quantity, returned)

    async def sell(self, order: Order) -> None:
        await self._move(order, "reserved", seat_target="sold", place_target="sold")

    async def release(self, order: Order) -> None:
        await self._move(order, "reserved", seat_target="available", place_target="released")

    async def return_to_sale(self, order: Order) -> None:
        await self._move(order, "sold", seat_target="available", place_target="returned")

    async def return_places(self, order: Order, tickets: Sequence[Ticket]) -> None:
        seats = {t.seat_id for t in tickets if t.seat_id is not None}
        zones = Counter(t.zone_id for t in tickets if t.zone_id is not None)
        await self._rows.lock(*_seat_and_zone_rows(seats, zones))
        for seat in seats:
            if self._s.seats.get(seat) == ("sold", order.order_id):
                self._s.seats[seat] = ("available", None)
        for zone, count in zones.items():
            status, quantity, returned = self._s.zone_orders.get((order.order_id, zone), ("", 0, 0))
            if status != "sold" or returned + count > quantity:
                continue  # never more places than the order still has
            returned += count
            self._s.zone_orders[(order.order_id, zone)] = ("returned" if returned == quantity else "sold", quantity,
                                                           returned)
            capacity, reserved, sold = self._s.zones[zone]
            self._s.zones[zone] = [capacity, reserved, sold - count]


class MemoryRefundRequests:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows
        self._s = rows.state

    async def request(self, order_id: str, amount: int, reason: str) -> str:
        refund_id = f"refund-{next(self._rows.world.refund_numbers)}"
        self._s.refund_requests.append((refund_id, order_id, amount, reason))
        return refund_id


class MemoryCancellations:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows
        self._s = rows.state

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
        return self._rows.skip_locked(sorted(o.order_id for o in open_orders), limit)

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
    def __init__(self, rows: _Rows) -> None:
        self._s = rows.state

    async def get(self, show_id: str) -> RefundPolicy | None:
        return self._s.policies.get(show_id)

    async def put(self, show_id: str, organization_id: str, policy: RefundPolicy, *, by: str, at: datetime) -> None:
        self._s.policies[show_id] = policy


class MemoryRefundRequestRepository:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows
        self._s = rows.state

    async def add(self, request: RefundRequest) -> None:
        if await self.pending_for(request.order_id) is not None:
            raise BrokenInvariant(f"order {request.order_id} has a pending request already")
        self._s.buyer_requests[request.request_id] = request

    async def get(self, request_id: str, *, for_update: bool = False) -> RefundRequest | None:
        if for_update and request_id in self._s.buyer_requests:
            await self._rows.lock(f"request:{request_id}")
        return self._s.buyer_requests.get(request_id)

    async def pending_for(self, order_id: str) -> RefundRequest | None:
        return next((r for r in self._s.buyer_requests.values() if r.order_id == order_id and r.status == "pending"),
                    None)

    async def of_order(self, order_id: str) -> list[RefundRequest]:
        mine = [r for r in self._s.buyer_requests.values() if r.order_id == order_id]
        return sorted(mine, key=lambda r: (r.created_at, r.request_id), reverse=True)

    async def save(self, request: RefundRequest) -> None:
        stored = self._s.buyer_requests.get(request.request_id)
        if stored is None or stored.status != "pending":
            return  # decided once
        self._s.buyer_requests[request.request_id] = msgspec.structs.replace(
            stored, status=request.status, decided_at=request.decided_at, decided_by=request.decided_by,
            decision_note=request.decision_note, refund_id=request.refund_id, amount=request.amount)


class MemoryTransaction:
    def __init__(self, world: MemoryWorld) -> None:
        self._world = world
        rows = _Rows(world, self)
        self._state = rows.state
        self.orders = MemoryOrders(rows)
        self.tickets = MemoryTickets(rows)
        self.seats = MemorySeats(rows)
        self.refunds = MemoryRefundRequests(rows)
        self.cancellations = MemoryCancellations(rows)
        self.policies = MemoryPolicies(rows)
        self.refund_requests = MemoryRefundRequestRepository(rows)
        self.shows = world

    async def publish(self, event: msgspec.Struct) -> None:
        self._state.events.append(event)

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def nested() -> AsyncIterator[None]:
            marks = [copy.copy(_own(table)) for table in _tables(self._state)]
            try:
                yield
            except BaseException:
                for table, mark in zip(_tables(self._state), marks, strict=True):
                    _own(table).clear()
                    _put(_own(table), mark)
                raise

        return nested()

    async def commit(self) -> None:
        for table, committed in zip(_tables(self._state), _tables(self._world.state), strict=True):
            _put(committed, _own(table))
            _own(table).clear()
        self._world.locks.release(self)


class MemoryWorld:
    """Every fake port of ordering over one in-memory state."""

    def __init__(self, seats: Sequence[str] = (), zones: dict[str, int] | None = None) -> None:
        self.state = MemoryState(seats={s: ("available", None) for s in seats},
                                 zones={z: [cap, 0, 0] for z, cap in (zones or {}).items()})
        self.locks = RowLocks()
        self.refund_numbers = itertools.count(1)
        self.holds: dict[str, tuple[str, str, HoldForOrder]] = {}  # hold id → (token, owner, hold)
        self.shows: dict[str, ShowTerms] = {}
        self.intents: dict[str, PaymentView] = {}
        self.cancelled_intents: list[str] = []
        self.provider_down = False
        self.synced: list[tuple[str, str | None, PlacesChange | None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        tx = MemoryTransaction(self)
        try:
            yield tx
        finally:
            self.locks.release(tx)

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
    async def order_changed(
        self, order: Order, hold_id: str | None = None, change: PlacesChange | None = None
    ) -> None:
        self.synced.append((order.order_id, hold_id, change))
