"""payments.facade: one PaymentIntent per order, whatever the retries, races or outages."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from lml.payments.domain.errors import PaymentIntentMismatch
from lml.payments.facade import PaymentIntentView, PaymentProviderUnavailable, PaymentsFacade, PaymentsServices
from lml.payments.infrastructure.pg_payments import PgPaymentRecords
from lml.platform.resources import Resources
from tests.fixtures.payments import StripeApp
from tests.timing import eventually, waiting_for_a_lock

SHOW = str(uuid.uuid4())


async def _ensure(payments: PaymentsServices, order_id: str, amount: int = 4500) -> PaymentIntentView:
    return await PaymentsFacade(payments).ensure_payment_intent(order_id=order_id, show_id=SHOW, amount=amount,
                                                                currency="USD")


async def test_ensure_creates_the_payment_intent_for_the_buyers_app(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices) -> None:
    order = str(uuid.uuid4())
    view = await _ensure(payments, order)
    assert (view.status, view.amount, view.currency) == ("requires_payment_method", 4500, "USD")
    [at_stripe] = await stripe_app.payment_intents_of(order)
    assert at_stripe["id"] == view.payment_intent_id
    assert at_stripe["client_secret"] == view.client_secret
    assert at_stripe["metadata"] == {"order_id": order, "show_id": SHOW}
    assert (at_stripe["amount"], at_stripe["currency"]) == (4500, "usd")


async def test_retries_return_the_same_payment_intent_and_create_no_other(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices) -> None:
    order = str(uuid.uuid4())
    views = [await _ensure(payments, order) for _ in range(5)]
    assert len(set(views)) == 1
    assert len(await stripe_app.payment_intents_of(order)) == 1


async def test_twenty_concurrent_calls_for_one_order_create_one_payment_intent(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices) -> None:
    # The emulator ignores idempotency keys: only our own lock and record keep this at one.
    order = str(uuid.uuid4())
    views = await asyncio.gather(*(_ensure(payments, order) for _ in range(20)))
    assert len({v.payment_intent_id for v in views}) == 1
    assert len(await stripe_app.payment_intents_of(order)) == 1


async def test_concurrent_calls_for_different_orders_do_not_wait_for_each_other(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices) -> None:
    orders = [str(uuid.uuid4()) for _ in range(8)]
    views = await asyncio.gather(*(_ensure(payments, order) for order in orders))
    assert len({v.payment_intent_id for v in views}) == 8


async def test_stripe_unreachable_is_unavailable_and_a_retry_once_it_is_back_creates_one(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices,
    payments_down: PaymentsServices,
) -> None:
    order = str(uuid.uuid4())
    with pytest.raises(PaymentProviderUnavailable):
        await _ensure(payments_down, order)
    assert await PaymentsFacade(payments).fetch_payment_intent(order_id=order) is None
    view = await _ensure(payments, order)
    assert [pi["id"] for pi in await stripe_app.payment_intents_of(order)] == [view.payment_intent_id]


async def test_the_same_order_for_another_amount_is_a_conflict(
    resources: Resources, payments: PaymentsServices
) -> None:
    order = str(uuid.uuid4())
    await _ensure(payments, order, amount=4500)
    with pytest.raises(PaymentIntentMismatch):
        await _ensure(payments, order, amount=4600)


async def test_cancel_cancels_at_stripe_and_is_idempotent(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices
) -> None:
    order = str(uuid.uuid4())
    view = await _ensure(payments, order)
    await PaymentsFacade(payments).cancel_payment_intent(order_id=order)
    await PaymentsFacade(payments).cancel_payment_intent(order_id=order)
    assert (await stripe_app.payment_intent(view.payment_intent_id))["status"] == "canceled"
    fetched = await PaymentsFacade(payments).fetch_payment_intent(order_id=order)
    assert fetched is not None and fetched.status == "canceled"


async def test_cancel_of_an_order_without_a_payment_intent_is_a_no_op(
    resources: Resources, payments: PaymentsServices
) -> None:
    await PaymentsFacade(payments).cancel_payment_intent(order_id=str(uuid.uuid4()))


async def test_cancel_after_the_buyer_paid_keeps_the_payment(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices
) -> None:
    order = str(uuid.uuid4())
    view = await _ensure(payments, order)
    await stripe_app.pay(view.payment_intent_id)
    await PaymentsFacade(payments).cancel_payment_intent(order_id=order)
    assert (await stripe_app.payment_intent(view.payment_intent_id))["status"] == "succeeded"
    fetched = await PaymentsFacade(payments).fetch_payment_intent(order_id=order)
    assert fetched is not None and fetched.status == "succeeded"


async def test_cancel_while_stripe_is_unreachable_is_unavailable_for_the_caller_to_retry(
    resources: Resources, payments_down: PaymentsServices, payments: PaymentsServices) -> None:
    order = str(uuid.uuid4())
    await _ensure(payments, order)
    with pytest.raises(PaymentProviderUnavailable):
        await PaymentsFacade(payments_down).cancel_payment_intent(order_id=order)


async def test_fetch_reports_what_stripe_says_now(
    resources: Resources, stripe_app: StripeApp, payments: PaymentsServices
) -> None:
    order = str(uuid.uuid4())
    view = await _ensure(payments, order)
    await stripe_app.pay(view.payment_intent_id)
    fetched = await PaymentsFacade(payments).fetch_payment_intent(order_id=order)
    assert fetched == PaymentIntentView(view.payment_intent_id, view.client_secret, "succeeded", 4500, "USD")



async def test_the_order_locked_across_a_provider_call_waits_as_long_as_that_call_may_take(
    resources: Resources,
) -> None:
    async with resources.db.unit_of_work() as uow:
        assert await PgPaymentRecords(uow).locked(str(uuid.uuid4()), across_provider_call=True) is None
        limits = await (await uow.conn.execute("SELECT current_setting('lock_timeout') AS lock,"
                                               " current_setting('statement_timeout') AS statement")).fetchone()
    assert limits == {"lock": "15s", "statement": "15s"}


async def test_a_status_reported_while_another_worker_records_a_terminal_one_leaves_the_terminal_one(
    resources: Resources, payments: PaymentsServices,
) -> None:
    # Two workers apply two events of one PaymentIntent at once, the stale one (`processing`) waiting
    # for the row that the other one's `succeeded` holds.
    order = str(uuid.uuid4())
    view = await _ensure(payments, order)
    async with resources.db.unit_of_work() as first:
        succeeded = await PgPaymentRecords(first).report_status(view.payment_intent_id, "succeeded")
        assert succeeded is not None and succeeded.status == "succeeded"

        async def stale() -> None:
            async with resources.db.unit_of_work() as second:
                reported = await PgPaymentRecords(second).report_status(view.payment_intent_id, "processing")
                assert reported is not None and reported.order_id == order
                await second.commit()

        late = asyncio.create_task(stale())
        await eventually(lambda: waiting_for_a_lock(resources, "transactionid"), what="the stale report waiting")
        await first.commit()
    await late
    async with resources.db.unit_of_work() as uow:
        recorded = await PgPaymentRecords(uow).get(order)
    assert recorded is not None and recorded.status == "succeeded"
