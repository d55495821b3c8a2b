"""What a buyer receives, end to end: pay on the Stripe emulator, the worker relays and sends, and the
mail arrives at a real SMTP server, read back as the buyer's mail client would read it."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from lml.container import Container
from tests.e2e.ordering.journey import buy, paid, pay_on_stripe, tickets_of
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.mail import MailSink, decode_qr, html_of, images_of, text_of
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp, stripe_event
from tests.fixtures.seating import MakeBuyer


async def _event_title(api: httpx.AsyncClient, show: TestShow) -> str:
    return str((await api.get(f"/v1/events/{show.event_id}")).json()["title"])



async def test_a_paid_order_mails_its_buyer_each_ticket_with_its_code_and_qr_code(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10, zones={"floor": 20})
    buyer = make_buyer()
    placed = await buy(api, buyer, show.show_id, show.seat_ids[:2], {"floor": 1})
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()
    await worker.send_mail()

    [mail] = await mail_sink.wait_for(1)
    tickets = await tickets_of(api, buyer, placed["order_id"])
    assert str(mail["To"]) == buyer.email
    assert await _event_title(api, show) in str(mail["Subject"])
    text = text_of(mail)
    starts_at = (await api.get(f"/v1/shows/{show.show_id}")).json()["starts_at"]
    local = datetime.fromisoformat(starts_at).astimezone(ZoneInfo("Europe/London"))  # the venue's time
    assert local.strftime("%H:%M") in text and str(local.day) in text
    assert len(tickets) == 3 and all(t["code"] in text for t in tickets)
    payloads = sorted(found for png in images_of(mail).values() for found in decode_qr(png))
    assert payloads == sorted(t["qr_payload"] for t in tickets)
    assert "<script" not in html_of(mail)


async def test_a_failed_payment_tells_the_buyer_until_when_and_where_to_pay(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    placed = await buy(api, buyer, show.show_id, show.seat_ids[:1])
    intent = await stripe_app.payment_intent(placed["payment"]["payment_intent_id"])
    declined = {**intent, "status": "requires_payment_method",
                "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}
    assert (await signed_webhook(stripe_event("payment_intent.payment_failed", declined))).status_code == 200
    await worker.drain()
    await worker.send_mail()

    [mail] = await mail_sink.wait_for(1)
    assert str(mail["To"]) == buyer.email and "did not go through" in str(mail["Subject"])
    order = (await api.get(f"/v1/orders/{placed['order_id']}", headers=buyer.headers)).json()
    assert order["status"] == "payment_failed"  # and still payable until it expires
    expires = datetime.fromisoformat(order["expires_at"]).astimezone(ZoneInfo("Europe/London"))
    text = text_of(mail)
    assert expires.strftime("%H:%M") in text
    assert f"/orders/{placed['order_id']}" in text


async def test_a_partial_refund_tells_the_buyer_what_came_back_and_what_remains(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=4)
    placed = await paid(api, make_buyer(), show.show_id, show.seat_ids[:2], stripe_app, signed_webhook)
    await worker.drain()
    refund = await api.post(f"/v1/admin/orders/{placed['order_id']}/refund",
                            json={"reason": "a seat was broken", "amount": 1050},
                            headers={**show.operator.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert refund.status_code == 202, refund.text
    await worker.drain()
    await worker.send_mail()

    [refunded] = [m for m in await mail_sink.wait_for(2) if str(m["Subject"]).startswith("Your refund for")]
    remaining = placed["total"] - 1050
    assert "USD 10.50" in text_of(refunded)
    assert f"USD {remaining // 100:,}.{remaining % 100:02d}" in text_of(refunded)
