"""What ordering's use cases need from the outside world, as Protocols.

Two kinds: stores and other contexts reached INSIDE one ordering transaction (`OrderingTransaction`:
orders, tickets, the seat inventory, refund requests, the outbox), so that "paid → seats sold →
tickets issued" commits or rolls back as one; and calls made outside any transaction (verifying a
hold, reading a show's prices, creating a PaymentIntent, catching Redis up after a commit)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

import msgspec

from lml.ordering.domain.checkout import ChosenSeat, ChosenZone, Tier
from lml.ordering.domain.order import Moved, Order
from lml.ordering.domain.refund_policy import RefundPolicy
from lml.ordering.domain.refund_request import RefundRequest
from lml.ordering.domain.tickets import Ticket


class OrderRepository(Protocol):
    async def add(self, order: Order, *, actor: str) -> None:
        """Insert the order, its lines and its `created` audit entry. Raises `HoldAlreadyOrdered`
        naming the existing order when its hold was ordered already (the unique hold id decides)."""

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        """`for_update`: the row stays locked until the transaction ends, so that two workers
        deciding about one order queue up and the second sees what the first did."""

    async def locked_with_show_cancelled(self, order_id: str) -> tuple[Order, bool] | None:
        """`get(order_id, for_update=True)`, and whether the order's show is cancelled
        (`ShowCancellations.covers`) as the lock leaves it: the two reads in one round trip."""

    async def order_for_hold(self, hold_id: str) -> tuple[str, str] | None:
        """(order id, buyer owner `kind:subject`) of the order made from this hold, if any."""

    async def save(self, moved: Moved, *, actor: str, at: datetime, detail: dict[str, Any] | None = None) -> None:
        """Apply one transition: `UPDATE ... WHERE status = <from>` (raises if the order moved
        meanwhile), write the refunds the transition added or changed, and append the audit entry."""

    async def note(self, order: Order, *, actor: str, at: datetime, action: str, detail: dict[str, Any]) -> None:
        """Append an audit entry about the order that changes no status (a refund request, say)."""

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        """Orders awaiting payment past their deadline, locked, skipping those another worker holds."""

    async def awaiting_payment(self, created_before: datetime, limit: int) -> list[str]: ...


class TicketRepository(Protocol):
    async def issue(self, tickets: Sequence[Ticket], organization_id: str, at: datetime) -> None: ...

    async def void_all(self, order_id: str, at: datetime) -> int: ...

    async def void(self, order_id: str, ticket_ids: Sequence[str], at: datetime) -> int: ...

    async def of_order(self, order_id: str) -> list[Ticket]: ...


class PlacesChange(Protocol):
    """What seating reports of a change to an order's places, opaque to ordering: handed back to
    `SeatSync` once the change commits, so that the fast store follows it without reading it back."""


class SeatInventory(Protocol):
    """The show's seats and GA places in PostgreSQL (seating), changed in this transaction."""

    async def reserve(self, order: Order, *, max_per_buyer: int | None = None) -> PlacesChange:
        """`available → reserved` for exactly the order's seats and GA quantities, else raises
        `SeatsTaken` naming the conflicts and changes nothing. Past `max_per_buyer` places reserved or
        sold for the order's buyer at the show (None: not checked), raises the `BuyerLimitExceeded`
        problem (`lml.platform.domain.buyer_limit`) and changes nothing."""

    async def sell(self, order: Order) -> None: ...

    async def release(self, order: Order) -> None:
        """`reserved → available` (an unpaid order expired or was cancelled). Idempotent."""

    async def return_to_sale(self, order: Order) -> None:
        """`sold → available` (a fully refunded order before its show). Idempotent."""

    async def return_places(self, order: Order, tickets: Sequence[Ticket]) -> None:
        """The places of these tickets (sold) go back on sale (their refund succeeded before the
        show). Once per refund: GA places are counted, not named."""


class ShowCancellations(Protocol):
    """Which shows are cancelled, and which of their orders the worker has handled."""

    async def start(self, show_id: str, organization_id: str, cancelled_at: datetime) -> bool:
        """Record that the show is cancelled; False when it was recorded already."""

    async def covers(self, show_id: str) -> bool:
        """The show is cancelled: its orders are (being) cancelled or refunded, none is sold anew."""

    async def next_orders(self, limit: int) -> list[str]:
        """Orders of cancelled shows not handled yet and still open (awaiting payment, or holding
        money not all on its way back), locked; those another worker holds are skipped."""

    async def handled(
        self, order: Order, *, action: str, at: datetime, refund_id: str | None = None, amount: int = 0
    ) -> None:
        """Record what was done with the order (with that change, in this transaction)."""

    async def finish(self, at: datetime) -> list[str]:
        """Close the cancellations that have no order left to handle; their show ids."""


class RefundPolicies(Protocol):
    async def get(self, show_id: str) -> RefundPolicy | None:
        """The show's own policy; None when the operator set none (the default applies)."""

    async def put(self, show_id: str, organization_id: str, policy: RefundPolicy, *, by: str, at: datetime) -> None: ...


class RefundRequestRepository(Protocol):
    async def add(self, request: RefundRequest) -> None: ...

    async def get(self, request_id: str, *, for_update: bool = False) -> RefundRequest | None: ...

    async def pending_for(self, order_id: str) -> RefundRequest | None: ...

    async def of_order(self, order_id: str) -> list[RefundRequest]:
        """Newest first."""

    async def save(self, request: RefundRequest) -> None:
        """Record its decision."""


class RefundRequests(Protocol):
    async def request(self, order_id: str, amount: int, reason: str) -> str:
        """Ask payments for a refund in this transaction (Stripe is called later); our refund id."""


class OrderingTransaction(Protocol):
    """One PostgreSQL transaction; leaving it without `commit()` undoes everything."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def tickets(self) -> TicketRepository: ...

    @property
    def seats(self) -> SeatInventory: ...

    @property
    def refunds(self) -> RefundRequests: ...

    @property
    def cancellations(self) -> ShowCancellations: ...

    @property
    def policies(self) -> RefundPolicies: ...

    @property
    def refund_requests(self) -> RefundRequestRepository: ...

    @property
    def shows(self) -> Shows:
        """The catalog's shows, read in this transaction."""

    async def publish(self, event: msgspec.Struct) -> None:
        """Record an integration event, delivered after (and only if) the transaction commits."""

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside undoes only what was done inside."""

    async def commit(self) -> None: ...


class TransactionFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[OrderingTransaction]: ...


class HoldForOrder(msgspec.Struct, frozen=True, kw_only=True):
    """The buyer's live hold as seating verified it: what the order is placed for."""

    hold_id: str
    show_id: str
    seats: list[ChosenSeat]
    zones: list[ChosenZone]
    expires_at: datetime


class ShowTerms(msgspec.Struct, frozen=True, kw_only=True):
    show_id: str
    organization_id: str
    currency: str
    starts_at: datetime
    sale_status: str  # scheduled, on_sale, off_sale, cancelled
    tiers: dict[str, Tier]
    max_seats_per_buyer: int


class PaymentView(msgspec.Struct, frozen=True, kw_only=True):
    payment_intent_id: str
    client_secret: str
    status: str


class Holds(Protocol):
    async def verify(self, hold_id: str, token: str, owner: str) -> HoldForOrder:
        """The hold's seats (with their tiers) and zones; raises the seating problem otherwise
        (unknown or expired hold, wrong token, another buyer's hold)."""


class Shows(Protocol):
    async def terms(self, show_id: str) -> ShowTerms: ...


class Payments(Protocol):
    async def ensure_intent(self, order: Order) -> PaymentView:
        """The order's one PaymentIntent, created on first call; raises a 503-mapped error when
        the provider cannot be reached."""

    async def cancel_intent(self, order_id: str) -> None: ...


class SeatSync(Protocol):
    async def order_changed(
        self, order: Order, hold_id: str | None = None, change: PlacesChange | None = None
    ) -> None:
        """Catch the fast store (Redis) up with what a committed transaction did to the order's seats,
        now rather than when the outbox gets to it (from `change`, what the transaction reported, when
        given). Best effort; idempotent."""
