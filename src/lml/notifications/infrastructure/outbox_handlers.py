"""Notifications' handlers of ordering's events: what each owes the order's buyer is recorded in the
event's own delivery transaction (kept exactly when the event is marked delivered), then sent by the
worker. An event delivered twice records nothing new: the outbox event's id is in the message's
dedupe key. A sale never waits for mail: these run after the payment committed."""

from __future__ import annotations

from typing import Any

import msgspec

from lml.notifications.application.record_messages import record_order_messages
from lml.notifications.domain.message import MessageKind
from lml.notifications.infrastructure.services import NotificationsServices
from lml.notifications.infrastructure.unit_of_work import within
from lml.ordering.events import OrderPaid, PaymentFailed, RefundSucceeded, ShowCancelledForOrder
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent


def outbox_handlers(notifications: NotificationsServices) -> dict[str, list[Handler]]:
    async def to_buyer(
        event: OutboxEvent, uow: UnitOfWork, kind: MessageKind, order_id: str, data: dict[str, Any] | None = None
    ) -> None:
        await record_order_messages(
            within(uow), notifications.clock, notifications.bookings.within(uow), kind=kind, order_id=order_id,
            data=data, event_key=f"{event.event_type}:{event.id}", sms=notifications.sms is not None,
        )

    async def confirm(event: OutboxEvent, uow: UnitOfWork) -> None:
        paid = msgspec.convert(event.payload, OrderPaid)
        await to_buyer(event, uow, MessageKind.ORDER_CONFIRMATION, paid.order_id)

    async def payment_failed(event: OutboxEvent, uow: UnitOfWork) -> None:
        failed = msgspec.convert(event.payload, PaymentFailed)
        await to_buyer(event, uow, MessageKind.PAYMENT_FAILED, failed.order_id,
                       {"pay_before": failed.pay_before.isoformat()})

    async def refund_processed(event: OutboxEvent, uow: UnitOfWork) -> None:
        refunded = msgspec.convert(event.payload, RefundSucceeded)
        await to_buyer(event, uow, MessageKind.REFUND_PROCESSED, refunded.order_id,
                       {"amount": refunded.amount, "remaining": refunded.remaining})

    async def show_cancelled(event: OutboxEvent, uow: UnitOfWork) -> None:
        cancelled = msgspec.convert(event.payload, ShowCancelledForOrder)
        await to_buyer(event, uow, MessageKind.SHOW_CANCELLED, cancelled.order_id,
                       {"refund_amount": cancelled.refund_amount})

    return {
        "ordering.OrderPaid": [confirm],
        "ordering.PaymentFailed": [payment_failed],
        "ordering.RefundSucceeded": [refund_processed],
        "ordering.ShowCancelledForOrder": [show_cancelled],
    }
