"""Payments with the real ordering: a buyer's journey from hold to paid tickets over HTTP with the
emulator's webhooks, and what duplicates, reordering, a killed worker, a lost webhook and operator
refunds do to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.container import Container, outbox_handlers
from lml.ordering.infrastructure.actors import expire_order
from lml.payments.application.ports import OrderPayments
from lml.payments.infrastructure.actors import process_stripe_events, reconcile_stripe_payments
from lml.platform.outbox import OutboxRelay
from lml.platform.resources import Resources
from tests.e2e.ordering.journey import tickets_of
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.identity import MakeUser, TestUser
from tests.fixtures.payments import SignedWebhook, StripeApp, refund_object, stripe_event
from tests.services import free_port
from tests.timing import TestClock, eventually


async def _no_expiry_message(_order_id: str, _delay_ms: int) -> None:
    """The delayed expiry message is the broker's business; these tests drive expiry themselves."""


async def _relay(container: Container) -> None:
    relay = OutboxRelay(container.resources.db, container.clock,
                        outbox_handlers(container, schedule_expiry=_no_expiry_message))
    while await relay.relay_batch() > 0:
        pass


async def _place_order(
    client: httpx.AsyncClient, buyer: TestUser, show: TestShow, seats: list[str]
) -> dict[str, Any]:
    hold = await client.post(f"/v1/shows/{show.show_id}/holds", json={"seat_ids": seats}, headers=buyer.headers)
    assert hold.status_code == 201, hold.text
    body = {"hold_id": hold.json()["hold_id"], "hold_token": hold.json()["hold_token"]}
    order = await client.post("/v1/orders", json=body,
                              headers={**buyer.headers, "Idempotency-Key": str(uuid.uuid4())})
    assert order.status_code == 201, order.text
    return order.json()  # type: ignore[no-any-return]


async def _order(client: httpx.AsyncClient, buyer: TestUser, order_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/orders/{order_id}", headers=buyer.headers)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]



async def test_a_buyer_pays_by_card_and_the_emulators_webhook_makes_the_order_paid_with_tickets(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, stripe_webhooks_to_live_api: None, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    seats = show.seat_ids[3:5]
    order = await _place_order(client, buyer, show, seats)
    assert order["status"] == "pending_payment"
    assert order["payment"]["provider"] == "stripe"
    pi = await stripe_app.payment_intent(order["payment"]["payment_intent_id"])
    assert (pi["amount"], pi["currency"], pi["client_secret"]) == (
        order["total"], order["currency"].lower(), order["payment"]["client_secret"])

    await stripe_app.pay(pi["id"])

    async def paid() -> bool:
        await process_stripe_events(container.payments)
        return (await _order(client, buyer, order["order_id"]))["status"] == "paid"

    await eventually(paid, what="the order paid through the webhook")
    tickets = await tickets_of(client, buyer, order["order_id"])
    assert sorted(t["seat_id"] for t in tickets) == sorted(seats)
    assert {t["status"] for t in tickets} == {"valid"}


async def test_the_same_success_delivered_ten_times_issues_the_tickets_once(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:3])
    paid_pi = await stripe_app.pay(order["payment"]["payment_intent_id"])
    event = stripe_event("payment_intent.succeeded", paid_pi)
    for _ in range(10):
        assert (await signed_webhook(event)).status_code == 200
    await process_stripe_events(container.payments)
    assert (await _order(client, buyer, order["order_id"]))["status"] == "paid"
    assert len(await tickets_of(client, buyer, order["order_id"])) == 3


async def test_a_refund_reported_before_the_success_leaves_the_order_refunded(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:2])
    pi_id = order["payment"]["payment_intent_id"]
    paid_pi = await stripe_app.pay(pi_id)
    refunded = await stripe_app.http.post("/v1/refunds", data={"payment_intent": pi_id})  # from Stripe's dashboard
    refund = refund_object(payment_intent_id=pi_id, amount=order["total"], refund_id=refunded.json()["id"])
    now = int(datetime.now(UTC).timestamp())
    await signed_webhook(stripe_event("refund.created", refund, created=now))
    await signed_webhook(stripe_event("payment_intent.succeeded", paid_pi, created=now - 5))
    await process_stripe_events(container.payments)
    final = await _order(client, buyer, order["order_id"])
    assert (final["status"], final["amount_paid"], final["amount_refunded"]) == (
        "refunded", order["total"], order["total"])
    assert {t["status"] for t in await tickets_of(client, buyer, order["order_id"])} <= {"void"}


class ProcessKilled(BaseException):
    """The worker process dies: nothing after this point runs, the transaction never commits."""


class DiesAfterApplying:
    """Ordering as payments sees it, but the process dies once the payment is applied, before commit."""

    def __init__(self, ordering: OrderPayments) -> None:
        self._ordering = ordering

    async def record_payment_succeeded(
        self, *, order_id: str, payment_intent_id: str, amount_received: int, currency: str
    ) -> None:
        await self._ordering.record_payment_succeeded(order_id=order_id, payment_intent_id=payment_intent_id,
                                                      amount_received=amount_received, currency=currency)
        raise ProcessKilled


async def test_a_worker_killed_mid_processing_leaves_the_event_to_be_applied_again_once(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:2])
    await signed_webhook(stripe_event("payment_intent.succeeded",
                                      await stripe_app.pay(order["payment"]["payment_intent_id"])))
    with pytest.raises(ProcessKilled):
        dying = container.payments.reaching(lambda uow: DiesAfterApplying(container.payments.orders(uow)))
        await process_stripe_events(dying)  # type: ignore[arg-type]
    assert (await _order(client, buyer, order["order_id"]))["status"] == "pending_payment"

    assert await process_stripe_events(container.payments) == 1
    assert (await _order(client, buyer, order["order_id"]))["status"] == "paid"
    assert len(await tickets_of(client, buyer, order["order_id"])) == 2


async def test_a_payment_whose_webhook_was_lost_is_found_by_reconciliation(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:1])
    await stripe_app.pay(order["payment"]["payment_intent_id"])  # no webhook reaches the API in this test
    report = await reconcile_stripe_payments(container.payments, older_than_seconds=0)
    assert report.queued == 1
    await process_stripe_events(container.payments)
    assert (await _order(client, buyer, order["order_id"]))["status"] == "paid"


async def test_an_operator_refund_reaches_stripe_through_the_outbox_and_voids_the_tickets(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:2])
    pi_id = order["payment"]["payment_intent_id"]
    await signed_webhook(stripe_event("payment_intent.succeeded", await stripe_app.pay(pi_id)))
    await process_stripe_events(container.payments)
    await _relay(container)

    response = await client.post(f"/v1/admin/orders/{order['order_id']}/refund", json={"reason": "show moved"},
                                 headers={**show.operator.headers, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 202, response.text
    assert await stripe_app.refunds_of(pi_id) == []  # Stripe is called by the worker, not the request
    await _relay(container)
    [at_stripe] = await stripe_app.refunds_of(pi_id)
    assert at_stripe["amount"] == order["total"]
    assert at_stripe["metadata"]["order_id"] == order["order_id"]
    final = await _order(client, buyer, order["order_id"])
    assert (final["status"], final["amount_refunded"]) == ("refunded", order["total"])
    assert {t["status"] for t in await tickets_of(client, buyer, order["order_id"])} == {"void"}


async def test_stripe_down_while_ordering_leaves_the_order_awaiting_payment_and_a_retry_creates_one_intent(
    client: httpx.AsyncClient, settings: Settings, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    no_stripe = msgspec.structs.replace(settings, stripe_api_base=f"http://127.0.0.1:{free_port()}")
    async with AsyncTestClient(app=create_app(no_stripe), base_url="http://testserver.local") as cut_off:
        order = await _place_order(cut_off, buyer, show, show.seat_ids[:1])
        assert (order["status"], order["payment"]) == ("pending_payment", None)
        retry = await cut_off.post(f"/v1/orders/{order['order_id']}/payment", headers=buyer.headers)
        assert retry.status_code == 503
        assert int(retry.headers["retry-after"]) > 0
    retries = [await client.post(f"/v1/orders/{order['order_id']}/payment", headers=buyer.headers) for _ in range(3)]
    assert [r.status_code for r in retries] == [200] * 3
    assert len({r.json()["payment"]["payment_intent_id"] for r in retries}) == 1
    assert len(await stripe_app.payment_intents_of(order["order_id"])) == 1


async def _expire(container: Container, clock: TestClock, order_id: str) -> None:
    """The order's deadline passes and the worker expires it (its PaymentIntent stays open: the
    outbox that would cancel it is not run, as if the buyer's payment raced the cancellation)."""
    clock.advance(hours=2)
    assert await expire_order(container.ordering, order_id)


async def test_a_late_payment_for_seats_still_free_takes_them_back_and_pays_the_order(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=10)
    buyer = await make_user()
    order = await _place_order(client, buyer, show, show.seat_ids[:2])
    await _expire(container, clock, order["order_id"])
    assert (await _order(client, buyer, order["order_id"]))["status"] == "expired"
    pi_id = order["payment"]["payment_intent_id"]
    await signed_webhook(stripe_event("payment_intent.succeeded", await stripe_app.pay(pi_id)))
    await process_stripe_events(container.payments)
    await _relay(container)
    assert (await _order(client, buyer, order["order_id"]))["status"] == "paid"
    assert len(await tickets_of(client, buyer, order["order_id"])) == 2
    assert await stripe_app.refunds_of(pi_id) == []


async def test_a_late_payment_for_seats_sold_meanwhile_is_refunded_automatically(
    client: httpx.AsyncClient, resources: Resources, make_user: MakeUser, make_show_on_sale: MakeShowOnSale,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, container: Container, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=10)
    late, punctual = await make_user(), await make_user()
    seats = show.seat_ids[:2]
    first = await _place_order(client, late, show, seats)
    await _expire(container, clock, first["order_id"])
    second = await _place_order(client, punctual, show, seats)
    await signed_webhook(stripe_event("payment_intent.succeeded",
                                      await stripe_app.pay(second["payment"]["payment_intent_id"])))
    # The late buyer's app still had the PaymentIntent: its payment lands after the seats were resold.
    late_pi = first["payment"]["payment_intent_id"]
    await signed_webhook(stripe_event("payment_intent.succeeded", await stripe_app.pay(late_pi)))
    await process_stripe_events(container.payments)
    await _relay(container)

    assert (await _order(client, punctual, second["order_id"]))["status"] == "paid"
    assert (await _order(client, late, first["order_id"]))["status"] == "refunded"
    [refund] = await stripe_app.refunds_of(late_pi)
    assert refund["amount"] == first["total"]
