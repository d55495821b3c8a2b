"""SMS through Twilio's official SDK, pointed at a local stand-in for its Messages API: what Twilio
receives, and which refusals are final."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from lml.notifications.application.ports import DeliveryFailed, UnitOfWorkFactory
from lml.notifications.application.record_messages import record_order_messages
from lml.notifications.application.send_due_messages import Delivery, send_due_messages
from lml.notifications.application.testing import FakeBookings, RecordingEmailSender
from lml.notifications.domain.message import MessageKind, MessageStatus
from lml.notifications.domain.recipient import Channel
from lml.notifications.infrastructure.jinja_renderer import JinjaRenderer
from lml.notifications.infrastructure.twilio_sender import TwilioSmsSender
from tests.fixtures.notifications import an_order
from tests.fixtures.sms import TwilioStandIn
from tests.services import free_port
from tests.timing import TestClock

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
MESSAGING_SERVICE = "MG" + "fedcba9876543210" * 2


SenderOn = Callable[..., Awaitable[TwilioSmsSender]]


@pytest.fixture
async def sender() -> AsyncIterator[SenderOn]:
    """Senders opened as the process opens them, closed after the test."""
    opened: list[TwilioSmsSender] = []

    async def on(api_base: str, from_: str = "+14155550100") -> TwilioSmsSender:
        made = TwilioSmsSender(account_sid=ACCOUNT, auth_token=TOKEN, sender=from_, api_base=api_base, timeout=5)
        await made.open()
        opened.append(made)
        return made

    yield on
    for made in opened:
        await made.close()


async def test_the_confirmation_goes_by_sms_with_a_link_to_the_order(
    pg_uow: UnitOfWorkFactory, twilio: TwilioStandIn, sender: SenderOn
) -> None:
    clock, bookings, email = TestClock(start=datetime.now(UTC)), FakeBookings(), RecordingEmailSender()
    order = bookings.add_order(an_order(buyer_phone="+447700900123"))
    await record_order_messages(pg_uow, clock, bookings, kind=MessageKind.ORDER_CONFIRMATION,
                                event_key=f"OrderPaid:{order.order_id}", order_id=order.order_id, sms=True)
    delivery = Delivery(bookings=bookings, renderer=JinjaRenderer("https://apps.example"), email=email,
                        sms=await sender(twilio.base_url))

    report = await send_due_messages(pg_uow, clock, delivery)

    assert report.sent == 2
    [request] = twilio.received
    assert (request["account"], request["user"], request["password"]) == (ACCOUNT, ACCOUNT, TOKEN)
    assert (request["form"]["To"], request["form"]["From"]) == ("+447700900123", "+14155550100")
    assert request["form"]["Body"] == (
        f"Your tickets for Hamlet, Tuesday 14 July 2026, 19:30 BST: https://apps.example/orders/{order.order_id}")
    async with pg_uow() as tx:
        [sms] = [m for m in await tx.messages.of_order(order.order_id) if m.channel is Channel.SMS]
    assert (sms.status, sms.provider_message_id) == (MessageStatus.SENT, f"SM{1:032x}")


async def test_a_messaging_service_sends_in_place_of_a_number(twilio: TwilioStandIn, sender: SenderOn) -> None:
    await (await sender(twilio.base_url, MESSAGING_SERVICE)).send(to="+14155550123", body="hello")

    [request] = twilio.received
    assert request["form"] == {"To": "+14155550123", "MessagingServiceSid": MESSAGING_SERVICE, "Body": "hello"}


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(400, 21211, True), (400, 21610, True), (429, 20429, False), (500, 20500, False), (503, 20503, False)],
)
async def test_a_refusal_is_final_only_when_it_is_about_the_message(
    twilio: TwilioStandIn, status: int, code: int, permanent: bool, sender: SenderOn
) -> None:
    twilio.refuse = (status, code, "refused by the stand-in")

    with pytest.raises(DeliveryFailed) as failure:
        await (await sender(twilio.base_url)).send(to="+14155550123", body="hello")

    assert failure.value.permanent is permanent
    assert failure.value.reason.startswith(f"{status} {code}: ")
    assert failure.value.reason.endswith("refused by the stand-in")
    assert TOKEN not in failure.value.reason


async def test_twilio_out_of_reach_is_a_failure_to_retry(sender: SenderOn) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        await (await sender(f"http://127.0.0.1:{free_port()}")).send(to="+14155550123", body="hello")

    assert not failure.value.permanent
