"""Recording messages from other contexts' events: each recorded once (its dedupe key), before it is
sent, and held back when it would flood its recipient (the per-recipient limit)."""

from __future__ import annotations

import math
from typing import Any

from lml.notifications.application.ports import Bookings, NotificationsUnitOfWork, UnitOfWorkFactory
from lml.notifications.domain.errors import OrderNotFound, TooManyMessages
from lml.notifications.domain.message import SMS_KINDS, TOKEN_KINDS, Message, MessageKind, new_message
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.recipient_limit import RecipientLimit
from lml.platform.clock import Clock
from lml.platform.ids import new_id


async def record(
    tx: NotificationsUnitOfWork, message: Message, limit: RecipientLimit, *, refuse_over_limit: bool = False
) -> Message:
    """The message as recorded in `tx`: the one recorded before under the same dedupe key if any,
    else `message`, recorded dead ("not sent: ...") when over the limit, or refused with
    TooManyMessages (nothing recorded) when `refuse_over_limit` (an operator's request)."""
    existing, recent = await tx.messages.locked_recipient(message.recipient, dedupe_key=message.dedupe_key,
                                                          since=message.created_at - limit.window)
    if existing is not None:
        return existing
    if (refusal := limit.refusal(message, recent)) is not None:
        if refuse_over_limit:
            wait = (refusal.retry_at - message.created_at).total_seconds()
            raise TooManyMessages(retry_after=math.ceil(wait), detail=f"Too many messages: {refusal.reason}")
        message = message.suppressed(refusal.reason, message.created_at)
    await tx.messages.add(message)
    return message


async def record_order_messages(
    uow: UnitOfWorkFactory, clock: Clock, bookings: Bookings, *, kind: MessageKind, event_key: str, order_id: str,
    data: dict[str, Any] | None = None, sms: bool = False, limit: RecipientLimit | None = None,
) -> list[Message]:
    """What an order's event owes its buyer: an email, plus an SMS when `sms` (SMS is configured), the
    kind has an SMS form and the buyer gave a phone number. `event_key` names the event (`OrderPaid:
    <order id>`): the same key again records nothing new. Raises OrderNotFound."""
    buyer = await bookings.buyer(order_id)
    if buyer is None:
        raise OrderNotFound(f"No order {order_id}")
    now = clock.now()
    recipients = [(Channel.EMAIL, buyer.email)]
    if sms and kind in SMS_KINDS and buyer.phone:
        recipients.append((Channel.SMS, buyer.phone))
    messages = [
        new_message(message_id=new_id(), kind=kind, channel=channel, recipient=recipient, event_key=event_key,
                    at=now, organization_id=buyer.organization_id, order_id=buyer.order_id,
                    show_id=buyer.show_id, data=data)
        for channel, recipient in recipients
    ]
    async with uow() as tx:
        recorded = [await record(tx, message, limit or RecipientLimit()) for message in messages]
        await tx.commit()
    return recorded


async def record_account_message(
    uow: UnitOfWorkFactory, clock: Clock, *, kind: MessageKind, email: str, token: str, event_key: str,
    limit: RecipientLimit | None = None,
) -> Message:
    """A guest recovery or password reset email carrying a one-time `token` (kept only until the
    message is sent or dead). `event_key` names the request (the token's id)."""
    if kind not in TOKEN_KINDS:
        raise ValueError(f"{kind} is not account mail")
    message = new_message(message_id=new_id(), kind=kind, channel=Channel.EMAIL, recipient=email,
                          event_key=event_key, at=clock.now(), secret=token)
    async with uow() as tx:
        recorded = await record(tx, message, limit or RecipientLimit())
        await tx.commit()
    return recorded
