"""Email through a real SMTP server (the sink, on a free port), recorded in PostgreSQL: what the buyer
receives, and what happens while the server is down, refuses, or is not what the URL says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lml.config import parse_smtp_url
from lml.notifications.application.order_messages import resend_confirmation
from lml.notifications.application.ports import UnitOfWorkFactory
from lml.notifications.application.record_messages import record_order_messages
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import FakeBookings
from lml.notifications.application.views import OrderSummary
from lml.notifications.domain.message import Message, MessageKind, MessageStatus
from lml.notifications.domain.retry import RetryPolicy
from lml.notifications.infrastructure.jinja_renderer import JinjaRenderer
from lml.notifications.infrastructure.smtp_sender import SmtpEmailSender
from tests.fixtures.mail import MailSink, decode_qr, html_of, images_of, text_of
from tests.fixtures.notifications import ORGANIZATION, a_show, an_order
from tests.services import free_port
from tests.timing import TestClock

QUICK = RetryPolicy(max_attempts=3, base=timedelta(seconds=1), cap=timedelta(seconds=2), patience=timedelta(0))


def lowest(low: float, high: float) -> float:
    return low


@pytest.fixture
def clock() -> TestClock:
    return TestClock(start=datetime.now(UTC))


@pytest.fixture
def bookings() -> FakeBookings:
    return FakeBookings()


def delivery(bookings: FakeBookings, smtp_url: str) -> Delivery:
    return Delivery(bookings=bookings, renderer=JinjaRenderer("https://apps.example"),
                    email=SmtpEmailSender(parse_smtp_url(smtp_url), "LML <tickets@localhost>", timeout=5))


async def confirm(uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, order: OrderSummary) -> None:
    bookings.add_order(order)
    await record_order_messages(uow, clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                                event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id)


async def stored(uow: UnitOfWorkFactory, order_id: str) -> list[Message]:
    async with uow() as tx:
        return await tx.messages.of_order(order_id)


async def test_the_confirmation_arrives_with_the_local_time_each_ticket_code_and_a_qr_code_per_ticket(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, mail_sink: MailSink
) -> None:
    order = an_order(a_show(timezone="America/New_York"), tickets=3)
    await confirm(pg_uow, clock, bookings, order)

    report = await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url))

    assert report.sent == 1
    [mail] = await mail_sink.wait_for(1)
    assert (mail["To"], mail["X-Sink-Rcpt-To"], mail["X-Sink-Mail-From"]) == (
        order.buyer_email, order.buyer_email, "tickets@localhost")
    assert mail["Subject"] == "Your tickets for Hamlet"
    text, html, images = text_of(mail), html_of(mail), images_of(mail)
    assert "Tuesday 14 July 2026, 14:30 EDT" in text and "The Old Vic, The Cut, London SE1 8NB" in text
    assert "Total: GBP 135.00" in text
    assert len(images) == 3
    for n, ticket in enumerate(order.tickets, start=1):
        assert f"ticket {ticket.code}" in text
        assert f'src="cid:ticket-{n}@lml"' in html
        assert decode_qr(images[f"ticket-{n}@lml"]) == [ticket.qr_payload]
    [message] = await stored(pg_uow, order.order_id)
    assert (message.status, message.attempts, message.provider_message_id) == (
        MessageStatus.SENT, 1, mail["Message-ID"])


async def test_the_organizations_name_and_reply_to_show_while_the_sender_address_stays_ours(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, mail_sink: MailSink
) -> None:
    show = a_show(sender_name="The Old Vic Box Office", reply_to="boxoffice@oldvic.example")
    await confirm(pg_uow, clock, bookings, an_order(show))

    await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url))

    [mail] = await mail_sink.wait_for(1)
    assert mail["From"] == "The Old Vic Box Office <tickets@localhost>"
    assert mail["Reply-To"] == "boxoffice@oldvic.example"
    assert mail["X-Sink-Mail-From"] == "tickets@localhost"


async def test_while_the_server_is_down_the_message_waits_with_backoff_and_goes_when_it_is_back(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, mail_sink: MailSink
) -> None:
    order = an_order()
    await confirm(pg_uow, clock, bookings, order)
    mail_sink.stop()

    report = await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url), retry=QUICK, jitter=lowest)

    [message] = await stored(pg_uow, order.order_id)
    assert (report.failed, message.status, message.attempts) == (1, MessageStatus.FAILED, 1)
    assert message.last_error is not None and "SMTPConnect" in message.last_error
    assert message.next_attempt_at == clock.now() + timedelta(seconds=1)
    assert (await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url), retry=QUICK)).claimed == 0

    mail_sink.start()
    clock.advance(timedelta(seconds=1))
    report = await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url), retry=QUICK)

    assert report.sent == 1
    [mail] = await mail_sink.wait_for(1)
    assert mail["To"] == order.buyer_email
    [message] = await stored(pg_uow, order.order_id)
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, None)


async def test_a_message_that_always_fails_ends_dead_and_the_operator_can_send_it_again(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, mail_sink: MailSink
) -> None:
    order = an_order()
    await confirm(pg_uow, clock, bookings, order)
    mail_sink.stop()
    for _ in range(3):
        await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url), retry=QUICK, jitter=lowest)
        clock.advance(timedelta(seconds=2))

    [dead] = await stored(pg_uow, order.order_id)
    assert (dead.status, dead.attempts) == (MessageStatus.DEAD, 3)
    assert (await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url), retry=QUICK)).claimed == 0

    mail_sink.start()
    await resend_confirmation(pg_uow, clock, bookings, order_id=order.order_id, organization_id=ORGANIZATION)
    report = await send_due_messages(pg_uow, clock, delivery(bookings, mail_sink.url))

    assert report.sent == 1
    assert [mail["To"] for mail in await mail_sink.wait_for(1)] == [order.buyer_email]
    assert [m.status for m in await stored(pg_uow, order.order_id)] == [MessageStatus.DEAD, MessageStatus.SENT]


class RefusesEveryone:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "550 5.1.1 No such user here"


async def test_a_mailbox_the_server_says_does_not_exist_is_dead_at_once(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings
) -> None:
    order = an_order()
    await confirm(pg_uow, clock, bookings, order)
    port = free_port()
    server = Controller(RefusesEveryone(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        report = await send_due_messages(pg_uow, clock, delivery(bookings, f"smtp://127.0.0.1:{port}"))
    finally:
        server.stop()

    [message] = await stored(pg_uow, order.order_id)
    assert (report.dead, message.status, message.attempts) == (1, MessageStatus.DEAD, 1)
    assert message.last_error == "recipient refused: 550 5.1.1 No such user here"


async def test_starttls_required_by_the_url_is_never_skipped_when_the_server_does_not_offer_it(
    pg_uow: UnitOfWorkFactory, clock: TestClock, bookings: FakeBookings, mail_sink: MailSink
) -> None:
    order = an_order()
    await confirm(pg_uow, clock, bookings, order)

    report = await send_due_messages(pg_uow, clock, delivery(bookings, f"{mail_sink.url}?starttls=true"))

    assert report.failed == 1
    [message] = await stored(pg_uow, order.order_id)
    assert message.last_error is not None and "STARTTLS" in message.last_error
    assert mail_sink.messages() == []
