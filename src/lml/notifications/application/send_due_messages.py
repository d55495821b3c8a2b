"""Sending the messages that are due: claimed in a short transaction (SKIP LOCKED, with a lease), then
each rendered and handed to its provider with no transaction open, then its outcome recorded in a
transaction of its own: sent, failed (tried again after a backoff) or dead.

At least once: a sender that dies between the provider's answer and the record leaves the message to
be claimed again when its lease runs out. An email keeps its Message-ID on every attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from lml.notifications.application.ports import (
    Bookings,
    DeliveryFailed,
    EmailSender,
    OutgoingEmail,
    Renderer,
    SmsSender,
    UnitOfWorkFactory,
)
from lml.notifications.application.views import MessageContext
from lml.notifications.domain.message import Message, MessageStatus
from lml.notifications.domain.recipient import Channel
from lml.notifications.domain.retry import Jitter, RetryPolicy
from lml.platform.clock import Clock
from lml.platform.tracing.spans import continued

# Time for one claimed batch to be sent: one provider call per message, each with its own timeout.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    """The providers and the renderer; `sms` is None when SMS is not configured."""

    bookings: Bookings
    renderer: Renderer
    email: EmailSender
    sms: SmsSender | None = None


class SendReport(msgspec.Struct, kw_only=True):
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0


async def send_due_messages(
    uow: UnitOfWorkFactory, clock: Clock, delivery: Delivery, *, retry: RetryPolicy | None = None,
    jitter: Jitter = random.uniform, batch: int = 50,
) -> SendReport:
    """Send up to `batch` due messages, one after the other. `report.claimed < batch`: none is left due."""
    retry = retry or RetryPolicy()
    async with uow() as tx:
        now = clock.now()
        claimed = await tx.messages.claim_due(now, now + LEASE, batch)
        await tx.commit()
    report = SendReport(claimed=len(claimed))
    for message in claimed:
        with continued(message.trace_context, f"send {message.kind}",
                       attributes={"lml.message_id": message.message_id}):
            outcome = await _attempt(message, clock, delivery, retry, jitter)
            async with uow() as tx:
                recorded = await tx.messages.record(outcome, lease=message.next_attempt_at)
                await tx.commit()
        if recorded:
            _count(report, outcome)
    return report


async def _attempt(message: Message, clock: Clock, delivery: Delivery, retry: RetryPolicy, jitter: Jitter) -> Message:
    try:
        provider_id = await _deliver(message, delivery)
    except DeliveryFailed as failure:
        return message.failed(failure.reason, clock.now(), retry, jitter, permanent=failure.permanent)
    except Exception as exc:  # noqa: BLE001 - a lookup or a template that fails is retried like a refusal
        return message.failed(f"{type(exc).__name__}: {exc}", clock.now(), retry, jitter)
    return message.sent(provider_id, clock.now())


async def _deliver(message: Message, delivery: Delivery) -> str:
    context = await _context(message, delivery.bookings)
    if message.channel is Channel.SMS:
        if delivery.sms is None:
            raise DeliveryFailed("SMS is not configured")
        return await delivery.sms.send(to=message.recipient, body=delivery.renderer.sms(message, context))
    show = context.show
    return await delivery.email.send(OutgoingEmail(
        message_id=message.message_id, to=message.recipient, content=delivery.renderer.email(message, context),
        sender_name=show.sender_name if show else None, reply_to=show.reply_to if show else None,
    ))


async def _context(message: Message, bookings: Bookings) -> MessageContext:
    if message.order_id is not None:
        order = await bookings.order(message.order_id)
        if order is None:
            raise DeliveryFailed(f"order {message.order_id} does not exist", permanent=True)
        return MessageContext(order=order, show=order.show)
    if message.show_id is not None:
        show = await bookings.show(message.show_id)
        if show is None:
            raise DeliveryFailed(f"show {message.show_id} does not exist", permanent=True)
        return MessageContext(show=show)
    return MessageContext()


def _count(report: SendReport, outcome: Message) -> None:
    if outcome.status is MessageStatus.SENT:
        report.sent += 1
    elif outcome.status is MessageStatus.DEAD:
        report.dead += 1
    else:
        report.failed += 1
