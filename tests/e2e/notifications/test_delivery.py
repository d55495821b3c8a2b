"""Mail never costs a sale and is never lost or doubled: the same event delivered many times sends one
email, a mail server that is down delays mail without delaying payment, and a message that can never
be sent ends `dead` where the operator sees it and can send it again."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from lml.platform.outbox import OutboxEvent
from lml.platform.resources import Resources
from tests.e2e.ordering.journey import many_paid, order_status, paid
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import ApiFrom, MakeBuyer, TestBuyer
from tests.timing import TestClock


async def _messages(api: httpx.AsyncClient, show: TestShow, order_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/v1/admin/orders/{order_id}/messages", headers=show.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]  # type: ignore[no-any-return]


async def _order_paid_event(resources: Resources, order_id: str) -> OutboxEvent:
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT id, event_type, payload, attempts FROM platform.outbox"
            " WHERE event_type = 'ordering.OrderPaid' AND payload->>'order_id' = %s", (order_id,))).fetchone()
    assert row is not None
    return OutboxEvent(**row)


async def _paid_while_mail_is_down(
    api: httpx.AsyncClient, show: TestShow, buyer: TestBuyer, stripe_app: StripeApp, signed_webhook: SignedWebhook,
    worker: TestWorker, mail_sink: MailSink,
) -> dict[str, Any]:
    mail_sink.stop()
    placed = await paid(api, buyer, show.show_id, show.seat_ids[:1], stripe_app, signed_webhook)
    await worker.drain()
    return placed


async def test_the_same_order_paid_delivered_ten_times_at_once_sends_one_email(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, resources: Resources,
) -> None:
    show = await make_show_on_sale(seats=4)
    placed = await paid(api, make_buyer(), show.show_id, show.seat_ids[:2], stripe_app, signed_webhook)
    await worker.process_stripe_events()
    event = await _order_paid_event(resources, placed["order_id"])
    handlers = worker.handlers()[event.event_type]

    async def deliver() -> None:  # what a relay does with an event, as if ten relays had it at once
        async with resources.db.unit_of_work() as uow:
            for handler in handlers:
                await handler(event, uow)
            await uow.commit()

    await asyncio.gather(*(deliver() for _ in range(10)))
    await worker.drain()  # and the relay's own delivery, the eleventh
    await worker.send_mail()
    await worker.send_mail()

    assert len(await mail_sink.wait_for(1)) == 1
    [message] = await _messages(api, show, placed["order_id"])
    assert (message["kind"], message["status"], message["attempts"]) == ("order_confirmation", "sent", 1)


async def test_a_payment_while_the_mail_server_is_down_is_final_at_once_and_mailed_when_it_returns(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    placed = await _paid_while_mail_is_down(api, show, buyer, stripe_app, signed_webhook, worker, mail_sink)
    assert await order_status(api, buyer, placed["order_id"]) == "paid"

    for _ in range(6):  # an hour down, tried whenever the backoff says
        await worker.send_mail()
        clock.advance(minutes=10)
    [message] = await _messages(api, show, placed["order_id"])
    assert message["status"] == "failed" and message["attempts"] >= 2
    assert "connect" in message["last_error"].lower()

    mail_sink.start()
    clock.advance(hours=1)  # the longest backoff
    await worker.send_mail()
    [mail] = await mail_sink.wait_for(1)
    assert str(mail["To"]) == buyer.email
    [message] = await _messages(api, show, placed["order_id"])
    assert message["status"] == "sent"


async def test_a_message_that_never_goes_through_ends_dead_for_the_operator_who_sends_it_again(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    placed = await _paid_while_mail_is_down(api, show, buyer, stripe_app, signed_webhook, worker, mail_sink)
    for _ in range(24):
        await worker.send_mail()
        if (await _messages(api, show, placed["order_id"]))[0]["status"] == "dead":
            break
        clock.advance(hours=1)
    [dead] = await _messages(api, show, placed["order_id"])
    assert (dead["status"], dead["attempts"], dead["next_attempt_at"]) == ("dead", 10, None)

    mail_sink.start()
    resend = await api.post(f"/v1/admin/orders/{placed['order_id']}/messages/resend", headers=show.operator.headers)
    assert resend.status_code == 202, resend.text
    assert (resend.json()["kind"], resend.json()["status"]) == ("order_confirmation", "queued")
    await worker.send_mail()

    [mail] = await mail_sink.wait_for(1)
    assert str(mail["To"]) == buyer.email
    statuses = [(m["message_id"], m["status"]) for m in await _messages(api, show, placed["order_id"])]
    assert statuses == [(dead["message_id"], "dead"), (resend.json()["message_id"], "sent")]


@pytest.mark.slow
async def test_a_show_cancelled_with_two_hundred_paid_orders_mails_each_buyer_once(
    api: httpx.AsyncClient, api_from: ApiFrom, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=200)
    buyers = [make_buyer() for _ in range(200)]
    await many_paid(api_from, show.show_id, sorted(show.seat_ids), buyers, stripe_app, signed_webhook)
    await worker.drain()
    cancelled = await api.post(f"/v1/admin/shows/{show.show_id}/cancel", headers=show.operator.headers)
    assert cancelled.status_code == 200, cancelled.text
    await worker.drain(rounds=50)
    while await worker.send_mail():
        pass
    await worker.relay_outbox()  # delivered again: nothing new is recorded
    while await worker.send_mail():
        pass

    # Each buyer: the tickets, the cancellation, then the refund it announced.
    mails = await mail_sink.wait_for(600)
    assert len(mails) == 600
    cancelled = sorted(str(mail["To"]) for mail in mails if str(mail["Subject"]).startswith("Cancelled:"))
    assert cancelled == sorted(buyer.email for buyer in buyers)
