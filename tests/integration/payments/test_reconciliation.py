"""Reconciliation against the emulator: a payment whose webhook was lost is applied anyway, once."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from lml.payments.application.testing import RecordingOrders
from lml.payments.facade import PaymentsFacade, PaymentsServices
from lml.payments.infrastructure.actors import process_stripe_events, reconcile_stripe_payments
from lml.payments.infrastructure.unit_of_work import OrdersFactory
from lml.platform.resources import Resources
from tests.fixtures.payments import DECLINED_CARD, SignedWebhook, StripeApp, stripe_event


async def _order_with_payment_intent(payments: PaymentsServices, amount: int = 7000) -> tuple[str, str]:
    order = str(uuid.uuid4())
    view = await PaymentsFacade(payments).ensure_payment_intent(order_id=order, show_id=str(uuid.uuid4()),
                                                                amount=amount, currency="USD")
    return order, view.payment_intent_id


async def test_a_paid_order_whose_webhook_was_lost_is_applied_by_reconciliation_once(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, recording_orders: RecordingOrders,
    payments: PaymentsServices,
) -> None:
    paid, paid_pi = await _order_with_payment_intent(payments)
    unpaid, _ = await _order_with_payment_intent(payments)
    await stripe_app.pay(paid_pi)  # Stripe's webhook never reaches us (none is registered for this test)
    recording_orders.awaiting = [paid, unpaid, str(uuid.uuid4())]

    first = await reconcile_stripe_payments(payments)
    second = await reconcile_stripe_payments(payments)
    assert (first.checked, first.queued, second.queued) == (2, 1, 0)
    assert await process_stripe_events(payments) == 1
    assert recording_orders.named("record_payment_succeeded") == [
        {"order_id": paid, "payment_intent_id": paid_pi, "amount_received": 7000, "currency": "USD"}]
    fetched = await PaymentsFacade(payments).fetch_payment_intent(order_id=paid)
    assert fetched is not None and fetched.status == "succeeded"


async def test_the_late_real_webhook_after_reconciliation_is_stored_and_applied_as_well(
    resources: Resources, stripe_app: StripeApp, signed_webhook: SignedWebhook, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    # Both reach ordering, whose record_payment_succeeded is a no-op the second time.
    order, pi = await _order_with_payment_intent(payments)
    paid = await stripe_app.pay(pi)
    recording_orders.awaiting = [order]
    await reconcile_stripe_payments(payments)
    await signed_webhook(stripe_event("payment_intent.succeeded", paid))
    assert await process_stripe_events(payments) == 2
    assert {c["payment_intent_id"] for c in recording_orders.named("record_payment_succeeded")} == {pi}


async def test_a_declined_payment_whose_webhook_was_lost_is_reported_as_failed(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, recording_orders: RecordingOrders,
    payments: PaymentsServices,
) -> None:
    order, pi = await _order_with_payment_intent(payments)
    await stripe_app.pay(pi, card=DECLINED_CARD)
    recording_orders.awaiting = [order]
    report = await reconcile_stripe_payments(payments)
    await process_stripe_events(payments)
    assert report.queued == 1
    assert recording_orders.named("record_payment_failed") == [
        {"order_id": order, "payment_intent_id": pi, "reason": "Your card was declined."}]


async def test_reconciliation_while_stripe_is_unreachable_changes_nothing(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices, payments_down: PaymentsServices,
) -> None:
    order, pi = await _order_with_payment_intent(payments)
    await stripe_app.pay(pi)
    recording_orders.awaiting = [order]
    report = await reconcile_stripe_payments(payments_down)
    assert report.unreachable and report.queued == 0
    assert await process_stripe_events(payments) == 0


async def test_one_payment_intent_stripe_will_not_give_stops_nobody_elses_reconciliation(
    resources: Resources, stripe_app: StripeApp, orders_factory: OrdersFactory, recording_orders: RecordingOrders,
    payments: PaymentsServices,
) -> None:
    broken = str(uuid.uuid4())
    async with resources.db.unit_of_work() as uow:
        # A PaymentIntent Stripe does not know (deleted, or made with another account's key).
        await uow.conn.execute(
            "INSERT INTO payments.payment_intents (order_id, show_id, payment_intent_id, client_secret, status,"
            " amount, currency) VALUES (%s, %s, 'pi_gone', 'pi_gone_secret', 'requires_payment_method', 7000, 'USD')",
            (broken, str(uuid.uuid4())),
        )
        await uow.commit()
    paid, paid_pi = await _order_with_payment_intent(payments)
    await stripe_app.pay(paid_pi)
    recording_orders.awaiting = [broken, paid]
    failures_before = REGISTRY.get_sample_value("lml_payments_reconciliation_failures_total") or 0

    report = await reconcile_stripe_payments(payments)

    assert (report.checked, report.queued, report.failed) == (1, 1, 1)
    assert REGISTRY.get_sample_value("lml_payments_reconciliation_failures_total") == failures_before + 1
    assert await process_stripe_events(payments) == 1
    assert [c["order_id"] for c in recording_orders.named("record_payment_succeeded")] == [paid]
