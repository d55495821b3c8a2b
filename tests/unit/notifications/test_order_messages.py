"""Operators and an order's messages: listed with their status (never a token), and the confirmation
sent again, within the per-recipient limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lml.notifications.application.order_messages import list_order_messages, resend_confirmation
from lml.notifications.application.record_messages import record_order_messages
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import FakeBookings, MemoryNotifications
from lml.notifications.domain.errors import NothingToConfirm, OrderNotFound, TooManyMessages
from lml.notifications.domain.message import MessageKind
from tests.fixtures.notifications import ORGANIZATION, an_order
from tests.timing import TestClock

OTHER_ORGANIZATION = "7e0c1d0e-5b1f-4a43-9a7c-111111111111"


async def test_the_list_shows_each_message_of_the_order_with_its_status_oldest_first(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings, delivery: Delivery
) -> None:
    order = bookings.add_order(an_order(buyer_phone="+14155550123"))
    await record_order_messages(world.unit_of_work(), clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                                event_key="paid", order_id=order.order_id, sms=True)
    await send_due_messages(world.unit_of_work(), clock, delivery)
    clock.advance(timedelta(minutes=1))
    await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=order.order_id,
                              organization_id=ORGANIZATION)

    listed = await list_order_messages(world.unit_of_work(org_id=ORGANIZATION), bookings, order_id=order.order_id,
                                       organization_id=ORGANIZATION)

    # The email and the SMS were recorded at the same instant: either may come first.
    assert sorted((m.kind, m.channel, m.status) for m in listed[:2]) == [
        ("order_confirmation", "email", "sent"), ("order_confirmation", "sms", "sent")]
    assert (listed[2].kind, listed[2].channel, listed[2].status) == ("order_confirmation", "email", "queued")
    assert listed[0].next_attempt_at is None and listed[2].next_attempt_at == clock.now()
    with pytest.raises(OrderNotFound):  # another organization's order is none of its business
        await list_order_messages(world.unit_of_work(org_id=OTHER_ORGANIZATION), bookings, order_id=order.order_id,
                                  organization_id=OTHER_ORGANIZATION)


async def test_a_resend_queues_a_new_confirmation_for_the_buyer(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    order = bookings.add_order(an_order())

    message = await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=order.order_id,
                                        organization_id=ORGANIZATION)

    assert (message.kind, message.recipient, message.status) == (
        MessageKind.ORDER_CONFIRMATION, order.buyer_email, "queued")
    assert list(world.messages) == [message.message_id]


async def test_resends_past_the_limit_are_refused_with_the_wait_and_record_nothing(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    order = bookings.add_order(an_order())
    await record_order_messages(world.unit_of_work(), clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                                event_key="paid", order_id=order.order_id)
    for _ in range(2):
        clock.advance(timedelta(minutes=10))
        await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=order.order_id,
                                  organization_id=ORGANIZATION)

    clock.advance(timedelta(minutes=10))
    with pytest.raises(TooManyMessages) as refused:
        await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=order.order_id,
                                  organization_id=ORGANIZATION)

    assert refused.value.retry_after == 30 * 60
    assert len(world.messages) == 3
    clock.advance(timedelta(minutes=30))
    await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=order.order_id,
                              organization_id=ORGANIZATION)
    assert len(world.messages) == 4


async def test_no_resend_for_an_unknown_order_another_organizations_or_an_unpaid_one(
    world: MemoryNotifications, clock: TestClock, bookings: FakeBookings
) -> None:
    paid = bookings.add_order(an_order())
    unpaid = bookings.add_order(an_order(paid=False))

    with pytest.raises(OrderNotFound):
        await resend_confirmation(world.unit_of_work(), clock, bookings, order_id="unknown",
                                  organization_id=ORGANIZATION)
    with pytest.raises(OrderNotFound):
        await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=paid.order_id,
                                  organization_id=OTHER_ORGANIZATION)
    with pytest.raises(NothingToConfirm):
        await resend_confirmation(world.unit_of_work(), clock, bookings, order_id=unpaid.order_id,
                                  organization_id=ORGANIZATION)
    assert world.messages == {}
