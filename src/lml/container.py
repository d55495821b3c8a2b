r"""The composition root's builder: what one process is made of, built once.

    container = build_container(settings)          # the API (lml.app), the worker (lml.worker),
    await container.open()                         # the CLI and the tests all start here
    ...
    await container.close()

Read top to bottom, `build_container` is the list: the process's resources (connections, clock,
settings), then each context's services, built from the resources and the facades of the contexts
it depends on. Each line goes down from the context that calls to the one it calls, never back up
(docs/architecture.md; the import contracts in pyproject.toml prove it):

             ordering
           /    │    \
     catalog    │     payments ┄┄ OrderPayments: payments' port, ordering plugged into it here
        │    \  │
        │    seating ┄┄ QueueGate: seating's port, admission plugged into it here
        │    /   \
      venues    admission (catalog, seating: a show's sale and the places left)

    identity: under every operator route (who may act, in which role)
    notifications: mail to buyers, reading ordering, catalog and venues; identity's account mail
                   (AccountMail, identity's port) plugged into it here
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lml.admission.facade import AdmissionFacade, AdmissionServices
from lml.catalog.facade import CatalogFacade, CatalogServices
from lml.config import Settings
from lml.identity.facade import IdentityFacade, IdentityServices
from lml.identity.infrastructure.outbox_handlers import outbox_handlers as identity_handlers
from lml.notifications.application.record_messages import record_account_message
from lml.notifications.domain.message import MessageKind
from lml.notifications.infrastructure.outbox_handlers import outbox_handlers as notifications_handlers
from lml.notifications.infrastructure.services import NotificationsServices
from lml.notifications.infrastructure.unit_of_work import within
from lml.ordering.facade import OrderingFacade, OrderingServices
from lml.ordering.infrastructure.outbox_handlers import ScheduleExpiry
from lml.ordering.infrastructure.outbox_handlers import outbox_handlers as ordering_handlers
from lml.payments.facade import PaymentsFacade, PaymentsServices
from lml.payments.infrastructure.outbox_handlers import outbox_handlers as payments_handlers
from lml.platform.clock import Clock
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler
from lml.platform.resources import Resources
from lml.seating.facade import SeatingFacade, SeatingServices
from lml.seating.infrastructure.outbox_handlers import outbox_handlers as seating_handlers
from lml.venues.facade import VenuesFacade, VenuesServices


@dataclass(frozen=True)
class Container:
    settings: Settings
    resources: Resources
    identity: IdentityServices
    venues: VenuesServices
    seating: SeatingServices
    catalog: CatalogServices
    payments: PaymentsServices
    ordering: OrderingServices
    notifications: NotificationsServices
    admission: AdmissionServices
    # The doors between contexts, also what the CLI and the tests call.
    identity_facade: IdentityFacade
    venues_facade: VenuesFacade
    seating_facade: SeatingFacade
    catalog_facade: CatalogFacade
    payments_facade: PaymentsFacade
    ordering_facade: OrderingFacade
    admission_facade: AdmissionFacade

    @property
    def clock(self) -> Clock:
        return self.resources.clock

    async def open(self) -> None:
        await self.resources.open()
        await self.notifications.open()

    async def close(self) -> None:
        """What the process holds open, at its stop: the contexts' own clients, then the stores."""
        await self.notifications.close()
        await self.payments.close()
        await self.resources.close()


class _OrderingForPayments:
    """Payments' `OrderPayments` port on ordering's facade, in the transaction payments opened."""

    def __init__(self, ordering: OrderingFacade, uow: UnitOfWork) -> None:
        self._ordering = ordering
        self._uow = uow

    async def record_payment_succeeded(
        self, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None:
        await self._ordering.record_payment_succeeded(self._uow, order_id=order_id,
                                                      payment_intent_id=payment_intent_id,
                                                      amount_received=amount_received, currency=currency)

    async def record_payment_failed(self, *, order_id: str, payment_intent_id: str, reason: str) -> None:
        await self._ordering.record_payment_failed(self._uow, order_id=order_id, payment_intent_id=payment_intent_id,
                                                   reason=reason)

    async def record_refund(
        self, *, order_id: str, refund_id: str, amount_refunded: int, status: str, failure_reason: str | None = None
    ) -> None:
        await self._ordering.record_refund(self._uow, order_id=order_id, refund_id=refund_id,
                                           amount_refunded=amount_refunded, status=status,
                                           failure_reason=failure_reason)

    async def orders_awaiting_payment(self, *, older_than_seconds: int, limit: int) -> list[str]:
        return await self._ordering.orders_awaiting_payment(self._uow, older_than_seconds=older_than_seconds,
                                                            limit=limit)


class _AdmissionForSeating:
    """Seating's `QueueGate` port on admission's facade (made after seating's, which it reads)."""

    def __init__(self, admission: Callable[[], AdmissionFacade]) -> None:
        self._admission = admission

    async def admit_hold(self, *, show_id: str, buyer: str, pass_token: str | None) -> str | None:
        return await self._admission().admit_hold(show_id=show_id, buyer=buyer, pass_token=pass_token)

    async def hold_placed(self, *, show_id: str, entry_id: str, until: datetime) -> None:
        await self._admission().hold_placed(show_id=show_id, entry_id=entry_id, until=until)


class _NotificationsForIdentity:
    """Identity's `AccountMail` port on notifications' account mail, recorded in the transaction that
    delivers identity's request event (the message's secret is the raw token: the template makes the
    link of it with LML_PUBLIC_BASE_URL)."""

    def __init__(self, notifications: NotificationsServices) -> None:
        self._notifications = notifications

    async def guest_recovery(
        self, uow: UnitOfWork, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None:
        await record_account_message(within(uow), self._notifications.clock, kind=MessageKind.GUEST_RECOVERY,
                                     email=email, token=token, event_key=request_id)

    async def password_reset(
        self, uow: UnitOfWork, *, email: str, token: str, expires_at: datetime, request_id: str
    ) -> None:
        await record_account_message(within(uow), self._notifications.clock, kind=MessageKind.PASSWORD_RESET,
                                     email=email, token=token, event_key=request_id)


def build_container(
    settings: Settings, *, clock: Clock | None = None, resources: Resources | None = None,
    hold_now_ms: Callable[[], int] | None = None,
) -> Container:
    """Every context's services, once. `clock` is every context's (tests move it); `hold_now_ms`
    drives the hold scripts' clock (tests; by default the Redis server's)."""
    resources = resources or Resources(settings, clock)
    identity = IdentityServices.build(resources)
    venues = VenuesServices.build(resources)
    venues_facade = VenuesFacade(venues)
    # Seating reaches admission only through its port; admission's facade is made below.
    seating = SeatingServices.build(resources, venues=venues_facade, now_ms=hold_now_ms,
                                    queue_gate=_AdmissionForSeating(lambda: admission_facade))
    seating_facade = SeatingFacade(seating)
    catalog = CatalogServices.build(resources, venues=venues_facade, seating=seating_facade)
    catalog_facade = CatalogFacade(catalog)
    admission = AdmissionServices.build(resources, catalog=catalog_facade, seating=seating_facade)
    admission_facade = AdmissionFacade(admission)
    # Payments reaches ordering only through its port; ordering's facade is made just below.
    payments = PaymentsServices.build(resources, orders=lambda uow: _OrderingForPayments(ordering_facade, uow))
    payments_facade = PaymentsFacade(payments)
    ordering = OrderingServices.build(resources, catalog=catalog_facade, seating=seating_facade,
                                      payments=payments_facade)
    ordering_facade = OrderingFacade(ordering)
    identity_facade = IdentityFacade(identity)
    notifications = NotificationsServices.build(resources, ordering=ordering_facade, catalog=catalog_facade,
                                                venues=venues_facade, identity=identity_facade)
    return Container(
        settings=settings, resources=resources, identity=identity, venues=venues, seating=seating, catalog=catalog,
        payments=payments, ordering=ordering, identity_facade=identity_facade, venues_facade=venues_facade,
        seating_facade=seating_facade, catalog_facade=catalog_facade, payments_facade=payments_facade,
        ordering_facade=ordering_facade, notifications=notifications, admission=admission,
        admission_facade=admission_facade,
    )


def outbox_handlers(container: Container, *, schedule_expiry: ScheduleExpiry) -> dict[str, list[Handler]]:
    """Integration event type → every context's handlers of it: the one map the worker relays with
    (tests use it too, with their own `schedule_expiry`). Every event type a context publishes is
    handled here or declared in `AUDIT_ONLY` (tests/integration/platform/test_event_consumers.py)."""
    merged: dict[str, list[Handler]] = {}
    for handlers in (
        identity_handlers(container.identity, mail=_NotificationsForIdentity(container.notifications)),
        seating_handlers(container.seating),
        ordering_handlers(container.ordering, schedule_expiry=schedule_expiry),
        payments_handlers(container.payments),
        notifications_handlers(container.notifications),
    ):
        for event_type, listeners in handlers.items():
            merged.setdefault(event_type, []).extend(listeners)
    return merged


# Integration events published for the record, with no consumer today; each says why.
AUDIT_ONLY: dict[str, str] = {
    "identity.UserRegistered": "an account's creation, kept in the outbox as its record",
    "identity.OrganizationCreated": "kept as the record of who created which tenant",
    "identity.MembershipGranted": "kept as the record of who was given which role",
    "identity.MembershipRevoked": "kept as the record of who lost which role (access is checked per request)",
    "admission.WaitingRoomConfigured": "the record of who set which room; the worker reads the rooms themselves",
    "identity.RefreshTokenReuseDetected": "a security record: the token family is revoked in the same transaction",
    "venues.VenueCreated": "kept as the record of the venue's creation",
    "venues.LayoutPublished": "shows pin a layout version when they are created; nothing waits for publication",
    "venues.LayoutArchived": "an archived layout keeps serving the shows that pinned it",
    "catalog.ShowWentOnSale": "seating's inventory and its copy of the show's terms are made in the same transaction",
    "catalog.EventCancelled": "each of the event's shows publishes its own ShowCancelled, which is handled",
    "ordering.OrderRefunded": "tickets are voided and seats returned in the same transaction",
}
