"""Sending due messages: each rendered with what its order or show says, handed to its provider, then
recorded sent, failed (retried after a backoff) or dead; two senders never send one message twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lml.notifications.application.ports import DeliveryFailed
from lml.notifications.application.record_messages import record_account_message, record_order_messages
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import (
    FakeBookings,
    MemoryNotifications,
    PlainRenderer,
    RecordingEmailSender,
    RecordingSmsSender,
)
from lml.notifications.domain.message import MessageKind, MessageStatus
from lml.notifications.domain.retry import RetryPolicy
from tests.fixtures.notifications import a_show, an_order
from tests.timing import TestClock

CONFIRMATION = MessageKind.ORDER_CONFIRMATION
QUICK = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(minutes=1), patience=timedelta(0))


def lowest(low: float, high: float) -> float:
    return low


async def confirm(world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, **order: object) -> str:
    placed = bookings.add_order(an_order(**order))  # type: ignore[arg-type]
    await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                                event_key=f"OrderPaid:{placed.order_id}", order_id=placed.order_id, sms=True)
    return placed.order_id


async def test_a_due_confirmation_is_sent_with_its_tickets_and_recorded_sent(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    order_id = await confirm(world, clock, bookings, tickets=3)

    report = await send_due_messages(world.unit_of_work(), clock, delivery)

    assert (report.claimed, report.sent) == (1, 1)
    [sent] = email.sent
    order = bookings.orders[order_id]
    assert sent.to == order.buyer_email
    assert sent.content.text.split("\n") == [f"{t.place} {t.code}" for t in order.tickets]
    assert [image.png.decode() for image in sent.content.images] == [t.qr_payload for t in order.tickets]
    [message] = world.messages.values()
    assert (message.status, message.attempts, message.provider_message_id, message.sent_at) == (
        MessageStatus.SENT, 1, f"<{message.message_id}@fake>", clock.now())
    assert (await send_due_messages(world.unit_of_work(), clock, delivery)).claimed == 0


async def test_the_organizations_sender_name_and_reply_to_go_with_its_mail(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    show = a_show(sender_name="The Old Vic Box Office", reply_to="boxoffice@oldvic.example")
    await confirm(world, clock, bookings, show=show)

    await send_due_messages(world.unit_of_work(), clock, delivery)

    assert (email.sent[0].sender_name, email.sent[0].reply_to) == ("The Old Vic Box Office", "boxoffice@oldvic.example")


async def test_the_sms_goes_to_the_buyers_phone(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, sms: RecordingSmsSender,
    delivery: Delivery,
) -> None:
    order_id = await confirm(world, clock, bookings, buyer_phone="+447700900123")

    report = await send_due_messages(world.unit_of_work(), clock, delivery)

    assert report.sent == 2
    assert sms.sent == [("+447700900123", f"order_confirmation {order_id}")]


async def test_a_server_that_is_down_delays_the_message_with_backoff_and_it_goes_when_it_is_back(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    await confirm(world, clock, bookings)
    email.failure = DeliveryFailed("connection refused")

    report = await send_due_messages(world.unit_of_work(), clock, delivery, retry=QUICK, jitter=lowest)

    [message] = world.messages.values()
    assert (report.failed, message.status, message.attempts, message.last_error) == (
        1, MessageStatus.FAILED, 1, "connection refused")
    assert message.next_attempt_at == clock.now() + timedelta(seconds=10)
    assert (await send_due_messages(world.unit_of_work(), clock, delivery, retry=QUICK)).claimed == 0

    email.failure = None
    clock.advance(timedelta(seconds=10))
    report = await send_due_messages(world.unit_of_work(), clock, delivery, retry=QUICK)

    [message] = world.messages.values()
    assert (report.sent, message.status, message.attempts, message.last_error) == (1, MessageStatus.SENT, 2, None)
    assert len(email.sent) == 1


async def test_a_message_that_always_fails_ends_dead(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    await confirm(world, clock, bookings)
    email.failure = DeliveryFailed("451 try again later")

    for _ in range(3):
        await send_due_messages(world.unit_of_work(), clock, delivery, retry=QUICK, jitter=lowest)
        clock.advance(timedelta(minutes=1))

    [message] = world.messages.values()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.DEAD, 3, "451 try again later")
    assert (await send_due_messages(world.unit_of_work(), clock, delivery, retry=QUICK)).claimed == 0


async def test_a_permanent_refusal_is_dead_at_once(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    await confirm(world, clock, bookings)
    email.failure = DeliveryFailed("550 no such mailbox", permanent=True)

    report = await send_due_messages(world.unit_of_work(), clock, delivery)

    assert report.dead == 1
    assert [m.status for m in world.messages.values()] == [MessageStatus.DEAD]


async def test_a_lookup_that_fails_is_retried(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, delivery: Delivery,
) -> None:
    await confirm(world, clock, bookings)
    bookings.failure = ConnectionError("ordering is unreachable")

    report = await send_due_messages(world.unit_of_work(), clock, delivery)

    [message] = world.messages.values()
    assert (report.failed, message.status, message.last_error) == (
        1, MessageStatus.FAILED, "ConnectionError: ordering is unreachable")


async def test_a_message_about_an_order_that_no_longer_exists_is_dead(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, delivery: Delivery,
) -> None:
    order_id = await confirm(world, clock, bookings)
    del bookings.orders[order_id]

    report = await send_due_messages(world.unit_of_work(), clock, delivery)

    [message] = world.messages.values()
    assert (report.dead, message.last_error) == (1, f"order {order_id} does not exist")


async def test_sms_that_is_no_longer_configured_fails_and_is_retried(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
) -> None:
    await confirm(world, clock, bookings, buyer_phone="+14155550123")
    without_sms = Delivery(bookings=bookings, renderer=PlainRenderer(), email=email, sms=None)

    report = await send_due_messages(world.unit_of_work(), clock, without_sms)

    assert (report.sent, report.failed) == (1, 1)
    failed = [m for m in world.messages.values() if m.status is MessageStatus.FAILED]
    assert [m.last_error for m in failed] == ["SMS is not configured"]


async def test_senders_side_by_side_send_each_message_once(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, email: RecordingEmailSender,
    delivery: Delivery,
) -> None:
    for _ in range(20):
        await confirm(world, clock, bookings)

    reports = await asyncio.gather(*(send_due_messages(world.unit_of_work(), clock, delivery, batch=7)
                                     for _ in range(4)))

    assert sum(r.sent for r in reports) == 20
    assert sorted(e.message_id for e in email.sent) == sorted(world.messages)


async def test_a_sent_token_is_erased_from_the_log_of_messages(
    world: MemoryNotifications, clock: TestClock, email: RecordingEmailSender, delivery: Delivery,
) -> None:
    await record_account_message(world.unit_of_work(), clock, kind=MessageKind.GUEST_RECOVERY,
                                 email="guest@example.com", token="one-time-token", event_key="recover:1")

    await send_due_messages(world.unit_of_work(), clock, delivery)

    assert "token one-time-token" in email.sent[0].content.text
    assert [(m.status, m.secret) for m in world.messages.values()] == [(MessageStatus.SENT, None)]
