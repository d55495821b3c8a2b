"""Payments that arrive twice, out of order, late, or while a worker dies: never a paid order lost,
never a seat sold twice, never a ticket issued twice."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
from litestar.testing import AsyncTestClient

from lml.app import create_app
from lml.config import Settings
from lml.container import Container
from lml.payments.application.ports import OrderPayments
from lml.payments.infrastructure import actors as payments_actors
from lml.platform.db import UnitOfWork
from lml.platform.resources import Resources
from tests.e2e.ordering.journey import buy, hold, order_status, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp, refund_object, stripe_event
from tests.timing import TestClock

Client = httpx.AsyncClient


async def audit_actions(resources: Resources, order_id: str) -> list[str]:
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute(
            "SELECT action FROM ordering.order_events WHERE order_id = %s ORDER BY event_id", (order_id,))).fetchall()
    return [row["action"] for row in rows]


async def tickets_of(client: Client, buyer: Any, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/orders/{order_id}/tickets", headers=buyer.headers)
    assert response.status_code == 200, response.text
    return response.json()["tickets"]  # type: ignore[no-any-return]


async def test_the_same_success_delivered_ten_times_pays_once(
    client: Client, resources: Resources, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=6)
    buyer = await make_user()
    placed = await buy(client, buyer, show.show_id, show.seat_ids[:2])
    event = await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    for _ in range(9):  # the same event again, and the same payment under other event ids
        assert (await signed_webhook(event)).status_code == 200
        assert (await signed_webhook(stripe_event("payment_intent.succeeded", event["data"]["object"]))).is_success
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "paid"
    assert len(await tickets_of(client, buyer, placed["order_id"])) == 2
    assert (await audit_actions(resources, placed["order_id"])).count("payment_succeeded") == 1


async def test_a_failure_reported_after_the_success_changes_nothing(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await buy(client, buyer, show.show_id, show.seat_ids[:1])
    event = await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    failed = {**event["data"]["object"], "status": "requires_payment_method",
              "last_payment_error": {"code": "card_declined", "message": "declined"}}
    await worker.drain()
    await signed_webhook(stripe_event("payment_intent.payment_failed", failed))
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "paid"


async def test_a_refund_reported_before_the_success_ends_refunded_without_tickets(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer, other = await make_user(), await make_user()
    placed = await buy(client, buyer, show.show_id, show.seat_ids[:2])
    pi_id = placed["payment"]["payment_intent_id"]
    pi = await stripe_app.pay(pi_id)
    refund = refund_object(payment_intent_id=pi_id, amount=placed["total"])
    await signed_webhook(stripe_event("refund.updated", refund))  # overtakes the success
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "pending_payment"
    await signed_webhook(stripe_event("payment_intent.succeeded", pi))
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "refunded"
    assert await tickets_of(client, buyer, placed["order_id"]) == []
    assert (await hold(client, other, show.show_id, show.seat_ids[:2])).status_code == 201  # back on sale


async def test_a_worker_killed_while_applying_a_payment_applies_it_once_later(
    client: Client, resources: Resources, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker, container: Container,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await buy(client, buyer, show.show_id, show.seat_ids[:2])
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    applied, never = asyncio.Event(), asyncio.Event()

    class DiesAfterApplying:
        """Everything of the payment is written in the transaction, then the process dies before commit."""

        def __init__(self, ordering: OrderPayments) -> None:
            self._ordering = ordering

        async def record_payment_succeeded(self, **kwargs: Any) -> None:
            await self._ordering.record_payment_succeeded(**kwargs)
            applied.set()
            await never.wait()

    def dying(uow: UnitOfWork) -> OrderPayments:
        return DiesAfterApplying(container.payments.orders(uow))  # type: ignore[return-value]

    payments = container.payments.reaching(dying)
    processing = asyncio.create_task(payments_actors.process_stripe_events(payments))
    await applied.wait()
    processing.cancel()  # killed: its transaction never commits
    await asyncio.gather(processing, return_exceptions=True)
    assert await order_status(client, buyer, placed["order_id"]) == "pending_payment"
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "paid"
    assert len(await tickets_of(client, buyer, placed["order_id"])) == 2
    assert (await audit_actions(resources, placed["order_id"])).count("payment_succeeded") == 1


async def test_stripe_down_during_order_creation_leaves_an_order_that_gets_its_one_payment_intent_later(
    client: Client, settings: Settings, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    held = (await hold(client, buyer, show.show_id, show.seat_ids[:1])).json()
    stripe_down = create_app(msgspec.structs.replace(settings, stripe_api_base="http://127.0.0.1:9"))
    async with AsyncTestClient(app=stripe_down, base_url="http://testserver.local") as down:
        placed = await down.post("/v1/orders", json={"hold_id": held["hold_id"], "hold_token": held["hold_token"]},
                                 headers=buyer.headers)
        assert placed.status_code == 201, placed.text
        assert placed.json()["status"] == "pending_payment" and placed.json()["payment"] is None
        order_id = placed.json()["order_id"]
        retry = await down.post(f"/v1/orders/{order_id}/payment", headers=buyer.headers)
        assert retry.status_code == 503 and "retry-after" in retry.headers
    first = await client.post(f"/v1/orders/{order_id}/payment", headers=buyer.headers)
    again = await client.post(f"/v1/orders/{order_id}/payment", headers=buyer.headers)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["payment"]["payment_intent_id"] == again.json()["payment"]["payment_intent_id"]
    assert len(await stripe_app.payment_intents_of(order_id)) == 1


async def _expired_order(
    client: Client, buyer: Any, show_id: str, seats: list[str], clock: TestClock, worker: TestWorker
) -> dict[str, Any]:
    placed = await buy(client, buyer, show_id, seats)
    clock.advance(minutes=20)
    assert await worker.sweep_expired() == 1
    assert await order_status(client, buyer, placed["order_id"]) == "expired"
    return placed


async def test_a_late_payment_on_an_expired_order_gets_its_seats_back_when_they_are_free(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, ordering_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await _expired_order(client, buyer, show.show_id, show.seat_ids[:2], ordering_clock, worker)
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()
    assert await order_status(client, buyer, placed["order_id"]) == "paid"
    assert len(await tickets_of(client, buyer, placed["order_id"])) == 2


async def test_a_late_payment_whose_seats_were_resold_is_refunded_automatically(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, ordering_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    late, quick = await make_user(), await make_user()
    placed = await _expired_order(client, late, show.show_id, show.seat_ids[:2], ordering_clock, worker)
    # The late buyer's bank took its time: the payment went through as the order expired ...
    late_pi = await stripe_app.pay(placed["payment"]["payment_intent_id"])
    # ... and meanwhile another buyer bought one of its seats.
    resold = await buy(client, quick, show.show_id, show.seat_ids[1:3])
    await pay_on_stripe(stripe_app, signed_webhook, resold["payment"]["payment_intent_id"])
    await worker.drain()
    assert (await signed_webhook(stripe_event("payment_intent.succeeded", late_pi))).status_code == 200
    await worker.drain()
    assert await order_status(client, late, placed["order_id"]) in ("refund_pending", "refunded")
    assert await tickets_of(client, late, placed["order_id"]) == []
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert [r["amount"] for r in refunds] == [placed["total"]]
    assert await order_status(client, quick, resold["order_id"]) == "paid"
    assert len(await tickets_of(client, quick, resold["order_id"])) == 2


async def test_expiry_frees_the_seats_once_and_an_order_paid_just_before_stays_paid(
    client: Client, resources: Resources, make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker, ordering_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    ann, bob, cy = await make_user(), await make_user(), await make_user()
    unpaid = await buy(client, ann, show.show_id, show.seat_ids[:1])
    paid = await buy(client, bob, show.show_id, show.seat_ids[1:2])
    await pay_on_stripe(stripe_app, signed_webhook, paid["payment"]["payment_intent_id"])
    await worker.drain()
    assert {order_id for order_id, _ in worker.scheduled_expiries} == {unpaid["order_id"], paid["order_id"]}
    ordering_clock.advance(minutes=20)
    assert await worker.expire(paid["order_id"]) is False  # the delayed message finds it paid
    assert await worker.expire(unpaid["order_id"]) is True
    assert await worker.expire(unpaid["order_id"]) is False
    assert await worker.sweep_expired() == 0
    assert await order_status(client, bob, paid["order_id"]) == "paid"
    assert (await audit_actions(resources, unpaid["order_id"])).count("expired") == 1
    assert (await hold(client, cy, show.show_id, show.seat_ids[:1])).status_code == 201
    await worker.drain()  # the outbox cancels the expired order's PaymentIntent
    assert (await stripe_app.payment_intent(unpaid["payment"]["payment_intent_id"]))["status"] == "canceled"


async def test_an_order_expired_while_its_payment_had_succeeded_unseen_is_paid_as_a_late_payment(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    worker: TestWorker, ordering_clock: TestClock,
) -> None:
    """The buyer paid, Stripe's webhook never arrived, and the order reached its deadline: expiring it
    tries to cancel the PaymentIntent, finds it paid, and the payment is applied (seats still free)."""
    show = await make_show_on_sale(seats=4)
    buyer = await make_user()
    placed = await buy(client, buyer, show.show_id, show.seat_ids[:2])
    await stripe_app.pay(placed["payment"]["payment_intent_id"])  # no webhook reaches us
    ordering_clock.advance(minutes=20)
    assert await worker.sweep_expired() == 1
    await worker.drain()

    assert await order_status(client, buyer, placed["order_id"]) == "paid"
    assert len(await tickets_of(client, buyer, placed["order_id"])) == 2
    assert await stripe_app.refunds_of(placed["payment"]["payment_intent_id"]) == []


async def test_an_order_expired_while_its_payment_had_succeeded_unseen_is_refunded_when_its_seats_are_gone(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, ordering_clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=4)
    late, quick = await make_user(), await make_user()
    placed = await buy(client, late, show.show_id, show.seat_ids[:2])
    await stripe_app.pay(placed["payment"]["payment_intent_id"])  # no webhook reaches us
    ordering_clock.advance(minutes=20)
    assert await worker.sweep_expired() == 1
    # The expiry's follow-up has not run yet: another buyer takes one of the seats first.
    resold = await buy(client, quick, show.show_id, show.seat_ids[1:3])
    await pay_on_stripe(stripe_app, signed_webhook, resold["payment"]["payment_intent_id"])
    await worker.drain()

    assert await order_status(client, late, placed["order_id"]) == "refunded"
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert [(r["amount"], r["status"]) for r in refunds] == [(placed["total"], "succeeded")]
    assert await tickets_of(client, late, placed["order_id"]) == []
    assert await order_status(client, quick, resold["order_id"]) == "paid"


async def test_a_late_payment_never_takes_a_buyer_past_the_shows_limit(
    client: Client, make_show_on_sale: MakeShowOnSale, make_user: MakeUser, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, ordering_clock: TestClock,
) -> None:
    """Let an order expire, buy up to the limit with another, then pay the first: the first is refunded."""
    show = await make_show_on_sale(seats=6, max_seats_per_buyer=2)
    buyer = await make_user()
    first = await _expired_order(client, buyer, show.show_id, show.seat_ids[:2], ordering_clock, worker)
    second = await buy(client, buyer, show.show_id, show.seat_ids[2:4])
    await pay_on_stripe(stripe_app, signed_webhook, second["payment"]["payment_intent_id"])
    await pay_on_stripe(stripe_app, signed_webhook, first["payment"]["payment_intent_id"])
    await worker.drain()

    assert await order_status(client, buyer, second["order_id"]) == "paid"
    assert await order_status(client, buyer, first["order_id"]) == "refunded"
    assert await tickets_of(client, buyer, first["order_id"]) == []
    refunds = await stripe_app.refunds_of(first["payment"]["payment_intent_id"])
    assert [(r["amount"], r["status"]) for r in refunds] == [(first["total"], "succeeded")]
