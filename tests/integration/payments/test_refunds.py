"""Refunds: recorded in the caller's transaction, sent to Stripe by the outbox, in effect once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lml.payments.application.testing import RecordingOrders
from lml.payments.domain.errors import InvalidRefundAmount
from lml.payments.events import RefundRequested
from lml.payments.facade import PaymentsFacade, PaymentsServices
from lml.payments.infrastructure.actors import process_stripe_events
from lml.payments.infrastructure.outbox_handlers import REFUND_REQUESTED, outbox_handlers
from lml.payments.infrastructure.unit_of_work import OrdersFactory
from lml.platform.outbox import OutboxRelay, event_type_of
from lml.platform.resources import Resources
from tests.fixtures.payments import SignedWebhook, StripeApp, refund_object, stripe_event


async def _paid_order(payments: PaymentsServices, stripe_app: StripeApp, amount: int = 5000) -> tuple[str, str]:
    order = str(uuid.uuid4())
    view = await PaymentsFacade(payments).ensure_payment_intent(order_id=order, show_id=str(uuid.uuid4()),
                                                                amount=amount, currency="USD")
    await stripe_app.pay(view.payment_intent_id)
    return order, view.payment_intent_id


async def _request(payments: PaymentsServices, order: str, amount: int) -> str:
    async with payments.resources.db.unit_of_work() as uow:
        refund_id = await PaymentsFacade(payments).request_refund(uow, order_id=order, amount=amount,
                                                                  reason="requested by the buyer")
        await uow.commit()
    return refund_id


async def _relay(payments: PaymentsServices) -> int:
    relay = OutboxRelay(payments.resources.db, payments.clock, outbox_handlers(payments))
    return await relay.relay_batch()


async def _refunds(resources: Resources) -> list[dict[str, Any]]:
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute(
            "SELECT id::text AS id, seq, amount, status, stripe_refund_id FROM payments.refunds ORDER BY seq"
        )
        return await cur.fetchall()


async def _outbox(resources: Resources) -> list[dict[str, Any]]:
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute("SELECT event_type, status, attempts, last_error FROM platform.outbox")
        return await cur.fetchall()


async def test_a_refund_goes_to_stripe_through_the_outbox_and_ordering_hears_of_it(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, recording_orders: RecordingOrders,
    payments: PaymentsServices,
) -> None:
    order, pi = await _paid_order(payments, stripe_app)
    refund_id = await _request(payments, order, 2000)
    assert await stripe_app.refunds_of(pi) == []  # nothing leaves before the worker runs
    assert await _relay(payments) == 1

    [at_stripe] = await stripe_app.refunds_of(pi)
    assert at_stripe["amount"] == 2000
    assert at_stripe["metadata"] == {"order_id": order, "refund_id": refund_id, "reason": "requested by the buyer"}
    assert await _refunds(resources) == [
        {"id": refund_id, "seq": 1, "amount": 2000, "status": "succeeded", "stripe_refund_id": at_stripe["id"]}]
    assert recording_orders.named("record_refund") == [
        {"order_id": order, "refund_id": refund_id, "amount_refunded": 2000, "status": "succeeded"}]
    assert await _outbox(resources) == [
        {"event_type": REFUND_REQUESTED, "status": "done", "attempts": 1, "last_error": None}]


def test_the_outbox_event_type_is_the_one_the_handler_is_registered_for() -> None:
    assert event_type_of(RefundRequested(refund_id="r", order_id="o", amount=1, currency="USD")) == REFUND_REQUESTED


async def test_a_redelivered_refund_event_makes_no_second_refund(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, payments: PaymentsServices,
) -> None:
    order, pi = await _paid_order(payments, stripe_app)
    await _request(payments, order, 1000)
    await _relay(payments)
    async with resources.db.unit_of_work() as uow:  # at least once: the same event again
        await uow.conn.execute("UPDATE platform.outbox SET status = 'pending'")
        await uow.commit()
    await _relay(payments)
    assert len(await stripe_app.refunds_of(pi)) == 1


async def test_a_refund_made_at_stripe_just_before_a_crash_is_adopted_not_repeated(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, payments: PaymentsServices,
) -> None:
    # The worker's Stripe call went through, then it died before committing: our row still says
    # requested, the outbox event is still pending, and the emulator would not replay the idempotency key.
    order, pi = await _paid_order(payments, stripe_app)
    refund_id = await _request(payments, order, 1500)
    made = await stripe_app.http.post(
        "/v1/refunds", data={"payment_intent": pi, "amount": "1500", "metadata[refund_id]": refund_id}
    )
    made.raise_for_status()
    await _relay(payments)
    assert [r["id"] for r in await stripe_app.refunds_of(pi)] == [made.json()["id"]]
    assert (await _refunds(resources))[0]["stripe_refund_id"] == made.json()["id"]


async def test_partial_refunds_are_numbered_and_never_exceed_the_payment(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, payments: PaymentsServices,
) -> None:
    order, pi = await _paid_order(payments, stripe_app, amount=3000)
    await _request(payments, order, 1000)
    await _request(payments, order, 2000)
    with pytest.raises(InvalidRefundAmount):
        await _request(payments, order, 1)
    await _relay(payments)
    assert [(r["seq"], r["amount"], r["status"]) for r in await _refunds(resources)] == [
        (1, 1000, "succeeded"), (2, 2000, "succeeded")]
    assert sorted(r["amount"] for r in await stripe_app.refunds_of(pi)) == [1000, 2000]
    assert len(await _outbox(resources)) == 2  # the refused one wrote nothing


async def test_stripe_unreachable_leaves_the_refund_to_the_outboxs_backoff(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices, payments_down: PaymentsServices,
) -> None:
    order, pi = await _paid_order(payments, stripe_app)
    await _request(payments, order, 500)
    await _relay(payments_down)
    [event] = await _outbox(resources)
    assert (event["status"], event["attempts"]) == ("pending", 1)
    assert event["last_error"].startswith("PaymentProviderUnavailable")
    assert (await _refunds(resources))[0]["status"] == "requested"
    assert recording_orders.calls == []

    async with resources.db.unit_of_work() as uow:  # the backoff runs out; Stripe is back
        await uow.conn.execute("UPDATE platform.outbox SET next_attempt_at = now()")
        await uow.commit()
    await _relay(payments)
    assert [r["amount"] for r in await stripe_app.refunds_of(pi)] == [500]
    assert (await _refunds(resources))[0]["status"] == "succeeded"


async def test_stripe_saying_a_settled_refund_failed_leaves_it_settled_and_asks_for_a_person(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, recording_orders: RecordingOrders,
    signed_webhook: SignedWebhook, payments: PaymentsServices,
) -> None:
    order, pi = await _paid_order(payments, stripe_app)
    refund_id = await _request(payments, order, 2000)
    await _relay(payments)
    [at_stripe] = await stripe_app.refunds_of(pi)
    event = stripe_event("refund.updated", refund_object(payment_intent_id=pi, amount=2000, status="failed",
                                                         refund_id=at_stripe["id"]))
    await signed_webhook(event)
    assert await process_stripe_events(payments) == 1

    assert [(r["id"], r["status"]) for r in await _refunds(resources)] == [(refund_id, "succeeded")]
    async with resources.db.unit_of_work() as uow:
        row = await (await uow.conn.execute(
            "SELECT status, note FROM payments.stripe_events WHERE event_id = %s", (event["id"],))).fetchone()
    assert row is not None and "a person must reconcile" in row["note"]
    assert [c["status"] for c in recording_orders.named("record_refund")] == ["succeeded"]
