"""Operators and an order's messages: the list with their status, and the confirmation sent again."""

from __future__ import annotations

from lml.notifications.application.ports import Bookings, UnitOfWorkFactory
from lml.notifications.application.record_messages import record
from lml.notifications.application.views import MessageView
from lml.notifications.domain.errors import NothingToConfirm, OrderNotFound
from lml.notifications.domain.message import Message, MessageKind, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.recipient_limit import RecipientLimit
from lml.platform.clock import Clock
from lml.platform.ids import new_id


async def list_order_messages(
    uow: UnitOfWorkFactory, bookings: Bookings, *, order_id: str, organization_id: str
) -> list[MessageView]:
    """Oldest first. Raises OrderNotFound, also for another organization's order (`uow` acts as the
    operator's organization: another's messages would not be seen anyway)."""
    buyer = await bookings.buyer(order_id)
    if buyer is None or buyer.organization_id != organization_id:
        raise OrderNotFound(f"No order {order_id}")
    async with uow() as tx:
        messages = await tx.messages.of_order(order_id)
    return [message_view(message) for message in messages]


async def resend_confirmation(
    uow: UnitOfWorkFactory, clock: Clock, bookings: Bookings, *, order_id: str, organization_id: str,
    limit: RecipientLimit | None = None,
) -> Message:
    """A new confirmation email to the buyer, queued now. Raises OrderNotFound (also for another
    organization's order), NothingToConfirm for an order without tickets, and TooManyMessages (with
    the wait) past the per-recipient limit, which counts the original and every resend."""
    order = await bookings.order(order_id)
    if order is None or order.show.organization_id != organization_id:
        raise OrderNotFound(f"No order {order_id}")
    if not order.tickets:
        raise NothingToConfirm()
    message_id = new_id()
    message = new_message(
        message_id=message_id, kind=MessageKind.ORDER_CONFIRMATION, channel=Channel.EMAIL,
        recipient=order.buyer_email, event_key=f"resend:{message_id}", at=clock.now(),
        organization_id=organization_id, order_id=order_id, show_id=order.show.show_id,
    )
    async with uow() as tx:
        recorded = await record(tx, message, limit or RecipientLimit(), refuse_over_limit=True)
        await tx.commit()
    return recorded


def message_view(message: Message) -> MessageView:
    return MessageView(
        message_id=message.message_id, kind=message.kind.value, channel=message.channel.value,
        recipient=message.recipient, status=message.status.value, attempts=message.attempts,
        last_error=message.last_error, provider_message_id=message.provider_message_id,
        created_at=message.created_at, sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at if message.is_pending else None,
    )
