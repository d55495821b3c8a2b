"""The Stripe emulator's own signed webhooks, delivered over HTTP to the API under test, then
applied by the inbox worker: what payments hands ordering when a buyer pays (or fails to)."""

from __future__ import annotations

import uuid
from typing import Any

from lml.payments.application.testing import RecordingOrders
from lml.payments.facade import PaymentIntentView, PaymentsFacade, PaymentsServices
from lml.payments.infrastructure.actors import process_stripe_events
from lml.platform.resources import Resources
from tests.fixtures.payments import DECLINED_CARD, StripeApp
from tests.timing import eventually


async def _events(resources: Resources, payment_intent_id: str) -> list[dict[str, Any]]:
    """The stored events about one PaymentIntent (the emulator may still be delivering an earlier
    test's events: it sends each to whatever URL is registered a second after the event)."""
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute(
            "SELECT event_id, event_type, status FROM payments.stripe_events"
            " WHERE payload -> 'data' -> 'object' ->> 'id' = %s ORDER BY seq",
            (payment_intent_id,),
        )
        return await cur.fetchall()


async def _order(payments: PaymentsServices, amount: int) -> tuple[str, PaymentIntentView]:
    order = str(uuid.uuid4())
    view = await PaymentsFacade(payments).ensure_payment_intent(order_id=order, show_id=str(uuid.uuid4()),
                                                                amount=amount, currency="EUR")
    return order, view


async def test_a_buyer_paying_by_card_reaches_ordering_through_the_signed_webhook(
    resources: Resources, stripe_webhooks_to_live_api: None, stripe_app: StripeApp, payments: PaymentsServices,
    recording_orders: RecordingOrders,
) -> None:
    order, view = await _order(payments, 8900)
    assert (await stripe_app.pay(view.payment_intent_id))["status"] == "succeeded"

    async def stored() -> bool:
        return [e["event_type"] for e in await _events(resources, view.payment_intent_id)] == [
            "payment_intent.succeeded"]

    await eventually(stored, what="the emulator's webhook stored")
    await process_stripe_events(payments)
    assert [c for c in recording_orders.named("record_payment_succeeded") if c["order_id"] == order] == [
        {"order_id": order, "payment_intent_id": view.payment_intent_id, "amount_received": 8900, "currency": "EUR"}]
    assert [e["status"] for e in await _events(resources, view.payment_intent_id)] == ["processed"]


async def test_a_declined_card_reaches_ordering_as_a_failure_with_stripes_reason(
    resources: Resources, stripe_webhooks_to_live_api: None, stripe_app: StripeApp, payments: PaymentsServices,
    recording_orders: RecordingOrders,
) -> None:
    order, view = await _order(payments, 1200)
    assert (await stripe_app.pay(view.payment_intent_id, card=DECLINED_CARD))["status"] == "requires_payment_method"

    async def stored() -> bool:
        return [e["event_type"] for e in await _events(resources, view.payment_intent_id)] == [
            "payment_intent.payment_failed"]

    await eventually(stored, what="the emulator's failure webhook stored")
    await process_stripe_events(payments)
    assert [c for c in recording_orders.named("record_payment_failed") if c["order_id"] == order] == [
        {"order_id": order, "payment_intent_id": view.payment_intent_id, "reason": "Your card was declined."}]
