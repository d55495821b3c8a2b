"""Races on the real database: redeliveries of one event, senders side by side, workers planning one
announcement. Nobody gets a message twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from lml.config import parse_smtp_url
from lml.notifications.application.announcements import (
    list_announcements,
    plan_announcement,
    record_announcement_batch,
)
from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.application.record_messages import record_order_messages
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import FakeBookings
from lml.notifications.domain.message import MessageKind, MessageStatus
from lml.notifications.infrastructure.jinja_renderer import JinjaRenderer
from lml.notifications.infrastructure.smtp_sender import SmtpEmailSender
from lml.notifications.infrastructure.unit_of_work import unit_of_work_factory
from lml.platform.resources import Resources
from tests.fixtures.mail import MailSink
from tests.fixtures.notifications import ORGANIZATION, a_show, an_order
from tests.timing import TestClock


async def test_one_event_delivered_ten_times_at_once_records_one_message(pg_uow: UnitOfWorkFactory) -> None:
    clock, bookings = TestClock(start=datetime.now(UTC)), FakeBookings()
    order = bookings.add_order(an_order())

    await asyncio.gather(*(
        record_order_messages(pg_uow, clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                              event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)
        for _ in range(10)
    ))

    async with pg_uow() as tx:
        assert len(await tx.messages.of_order(order.order_id)) == 1


async def test_senders_racing_over_the_queue_send_each_message_once(
    pg_uow: UnitOfWorkFactory, mail_sink: MailSink
) -> None:
    clock, bookings = TestClock(start=datetime.now(UTC)), FakeBookings()
    orders = [bookings.add_order(an_order(tickets=1)) for _ in range(40)]
    for order in orders:
        await record_order_messages(pg_uow, clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                                    event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)
    delivery = Delivery(bookings=bookings, renderer=JinjaRenderer("https://apps.example"),
                        email=SmtpEmailSender(parse_smtp_url(mail_sink.url), "LML <tickets@localhost>", timeout=5))

    async def sender() -> int:
        sent = 0
        while (report := await send_due_messages(pg_uow, clock, delivery, batch=3)).claimed:
            sent += report.sent
        return sent

    counts = await asyncio.gather(*(sender() for _ in range(4)))

    assert sum(counts) == 40
    received = Counter(str(mail["To"]) for mail in await mail_sink.wait_for(40))
    assert received == Counter(order.buyer_email for order in orders)
    async with pg_uow() as tx:
        statuses = {m.status for order in orders for m in await tx.messages.of_order(order.order_id)}
    assert statuses == {MessageStatus.SENT}


async def test_workers_planning_one_announcement_record_each_holder_once(
    pg_uow: UnitOfWorkFactory, resources: Resources
) -> None:
    clock, bookings = TestClock(start=datetime.now(UTC)), FakeBookings()
    show = a_show()
    bookings.shows[show.show_id] = show
    holders = [f"holder-{n:03d}@example.com" for n in range(120)]
    bookings.holders[show.show_id] = holders
    await plan_announcement(pg_uow, clock, bookings, organization_id=ORGANIZATION, show_id=show.show_id,
                            subject="Doors at 19:45", body="Doors open late.", created_by="user:op")

    async def worker() -> None:
        while await record_announcement_batch(pg_uow, clock, bookings, batch=7):
            pass

    await asyncio.gather(*(worker() for _ in range(4)))

    [view] = await list_announcements(unit_of_work_factory(resources.db, org_id=ORGANIZATION), show_id=show.show_id)
    assert (view.planned, view.recipients, view.pending) == (True, 120, 120)
