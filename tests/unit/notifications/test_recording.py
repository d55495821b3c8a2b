"""Recording messages from events: once per event, recipient and kind, whatever the redeliveries or
races; SMS only when configured and the buyer gave a phone; held back past the per-recipient limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from lml.notifications.application.record_messages import record_account_message, record_order_messages
from lml.notifications.application.testing import FakeBookings, MemoryNotifications
from lml.notifications.domain.errors import OrderNotFound
from lml.notifications.domain.message import MessageKind, MessageStatus
from lml.notifications.domain.recipient import Channel
from tests.fixtures.notifications import an_order
from tests.timing import TestClock

CONFIRMATION = MessageKind.ORDER_CONFIRMATION


async def test_the_same_order_paid_event_delivered_ten_times_records_one_message(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    order = bookings.add_order(an_order())

    for _ in range(10):
        await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                                    event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)

    [message] = world.messages.values()
    assert (message.kind, message.channel, message.recipient, message.status) == (
        CONFIRMATION, Channel.EMAIL, order.buyer_email, MessageStatus.QUEUED)
    assert (message.order_id, message.show_id, message.organization_id) == (
        order.order_id, order.show.show_id, order.show.organization_id)


async def test_redeliveries_racing_each_other_still_record_one_message(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    order = bookings.add_order(an_order())

    results = await asyncio.gather(*(
        record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                              event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)
        for _ in range(10)
    ))

    assert len(world.messages) == 1
    assert {result[0].message_id for result in results} == set(world.messages)


async def test_the_confirmation_also_goes_by_sms_when_configured_and_the_buyer_gave_a_phone(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    with_phone = bookings.add_order(an_order(buyer_phone="+14155550123"))
    without_phone = bookings.add_order(an_order())

    both = await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION, event_key="e1",
                                       order_id=with_phone.order_id, sms=True)
    email_only = await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                                             event_key="e2", order_id=without_phone.order_id, sms=True)
    not_configured = await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                                                 event_key="e3", order_id=with_phone.order_id, sms=False)

    assert [(m.channel, m.recipient) for m in both] == [
        (Channel.EMAIL, with_phone.buyer_email), (Channel.SMS, "+14155550123")]
    assert [m.channel for m in email_only] == [Channel.EMAIL]
    assert [m.channel for m in not_configured] == [Channel.EMAIL]


async def test_an_unknown_order_records_nothing(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    with pytest.raises(OrderNotFound):
        await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION, event_key="e",
                                    order_id="00000000-0000-0000-0000-000000000000")

    assert world.messages == {}


async def test_mail_about_distinct_orders_all_goes_through_to_a_buyer_of_many(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    orders = [bookings.add_order(an_order(buyer_email="fan@example.com")) for _ in range(30)]

    for order in orders:
        await record_order_messages(world.unit_of_work(), clock, bookings, kind=CONFIRMATION,
                                    event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)

    assert [m.status for m in world.messages.values()] == [MessageStatus.QUEUED] * 30


async def test_a_loop_of_account_mail_is_held_back_and_recorded_as_such(
    world: MemoryNotifications, clock: TestClock
) -> None:
    for n in range(15):
        await record_account_message(world.unit_of_work(), clock, kind=MessageKind.PASSWORD_RESET,
                                     email="Victim@Example.com", token=f"token-{n}", event_key=f"reset:{n}")
        clock.advance(timedelta(seconds=10))

    statuses = [m.status for m in sorted(world.messages.values(), key=lambda m: m.created_at)]
    assert statuses == [MessageStatus.QUEUED] * 10 + [MessageStatus.DEAD] * 5
    held = [m for m in world.messages.values() if m.status is MessageStatus.DEAD]
    assert all(m.secret is None and m.last_error and m.last_error.startswith("not sent: ") for m in held)

    clock.advance(timedelta(hours=1))
    again = await record_account_message(world.unit_of_work(), clock, kind=MessageKind.PASSWORD_RESET,
                                         email="victim@example.com", token="token-late", event_key="reset:late")
    assert again.status is MessageStatus.QUEUED


async def test_account_mail_keeps_its_token_until_sent_and_is_about_no_organization(
    world: MemoryNotifications, clock: TestClock
) -> None:
    message = await record_account_message(world.unit_of_work(), clock, kind=MessageKind.GUEST_RECOVERY,
                                           email="guest@example.com", token="one-time", event_key="recover:1")

    assert (message.secret, message.organization_id, message.order_id) == ("one-time", None, None)
    with pytest.raises(ValueError, match="not account mail"):
        await record_account_message(world.unit_of_work(), clock, kind=CONFIRMATION, email="guest@example.com",
                                     token="t", event_key="x")
