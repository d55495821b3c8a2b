"""The inbox worker on PostgreSQL: claims with SKIP LOCKED, applies once, retries with backoff,
dead-letters, and the platform admins' list and retry endpoints."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lml.payments.application.testing import RecordingOrders
from lml.payments.facade import PaymentsServices
from lml.payments.infrastructure.actors import process_stripe_events
from lml.payments.infrastructure.unit_of_work import OrdersFactory
from lml.platform.resources import Resources
from tests.fixtures.identity import MakeUser, TestUser
from tests.fixtures.payments import SignedWebhook, payment_intent_object, refund_object, stripe_event

EVENTS = "/v1/admin/payments/events"


async def _row(resources: Resources, event_id: str) -> dict[str, Any]:
    async with resources.db.unit_of_work() as uow:
        cur = await uow.conn.execute(
            "SELECT status, attempts, next_attempt_at, last_error, note, processed_at"
            " FROM payments.stripe_events WHERE event_id = %s",
            (event_id,),
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def _make_due(resources: Resources) -> None:
    """Time passes: every pending event's backoff has run out."""
    async with resources.db.unit_of_work() as uow:
        await uow.conn.execute("UPDATE payments.stripe_events SET next_attempt_at = now() WHERE status = 'pending'")
        await uow.commit()


async def test_an_event_delivered_ten_times_is_applied_once(
    signed_webhook: SignedWebhook, resources: Resources, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    order = str(uuid.uuid4())
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=order, amount=6000))
    for _ in range(10):
        await signed_webhook(event)
    assert await process_stripe_events(payments) == 1
    assert await process_stripe_events(payments) == 0
    assert [c["order_id"] for c in recording_orders.named("record_payment_succeeded")] == [order]
    row = await _row(resources, event["id"])
    assert (row["status"], row["attempts"], row["last_error"]) == ("processed", 1, None)


async def test_a_failing_event_keeps_its_error_and_backs_off_then_dies_after_the_last_attempt(
    signed_webhook: SignedWebhook, resources: Resources, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=str(uuid.uuid4())))
    await signed_webhook(event)
    recording_orders.failures = 100
    for attempt in range(1, 5):
        before = datetime.now(UTC)
        assert await process_stripe_events(payments, max_attempts=4) == 1
        row = await _row(resources, event["id"])
        assert row["attempts"] == attempt
        assert row["last_error"] == "RuntimeError: ordering failed on record_payment_succeeded"
        if attempt < 4:
            assert row["status"] == "pending"
            # Exponential backoff with jitter: between 1 s and 2^(attempt-1) s from now.
            assert before + timedelta(seconds=1) <= row["next_attempt_at"]
            assert row["next_attempt_at"] <= datetime.now(UTC) + timedelta(seconds=2 ** (attempt - 1))
            assert await process_stripe_events(payments, max_attempts=4) == 0
            await _make_due(resources)
    assert (await _row(resources, event["id"]))["status"] == "dead"
    await _make_due(resources)
    assert await process_stripe_events(payments, max_attempts=4) == 0
    assert recording_orders.calls == []


async def test_a_failure_undoes_the_events_own_writes(
    signed_webhook: SignedWebhook, resources: Resources, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    # A refund event for one of our PaymentIntents adopts the refund, then ordering fails: no refund row stays.
    async with resources.db.unit_of_work() as uow:
        await uow.conn.execute(
            "INSERT INTO payments.payment_intents (order_id, show_id, payment_intent_id, client_secret, status,"
            " amount, currency) VALUES (%s, %s, 'pi_adopt', 'pi_adopt_secret', 'succeeded', 900, 'USD')",
            (str(uuid.uuid4()), str(uuid.uuid4())),
        )
        await uow.commit()
    event = stripe_event("refund.created", refund_object(payment_intent_id="pi_adopt", amount=900))
    await signed_webhook(event)
    recording_orders.failures = 1
    await process_stripe_events(payments)
    async with resources.db.unit_of_work() as uow:
        assert await (await uow.conn.execute("SELECT * FROM payments.refunds")).fetchall() == []
    await _make_due(resources)
    await process_stripe_events(payments)
    async with resources.db.unit_of_work() as uow:
        rows = await (await uow.conn.execute("SELECT stripe_refund_id, reason FROM payments.refunds")).fetchall()
    assert rows == [{"stripe_refund_id": event["data"]["object"]["id"], "reason": "made outside LML"}]
    assert len(recording_orders.named("record_refund")) == 1


async def test_workers_racing_over_the_inbox_apply_each_event_once(
    signed_webhook: SignedWebhook, resources: Resources, orders_factory: OrdersFactory,
    recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    orders = [str(uuid.uuid4()) for _ in range(30)]
    for order in orders:
        await signed_webhook(stripe_event("payment_intent.succeeded", payment_intent_object(order_id=order)))
    taken = await asyncio.gather(*(process_stripe_events(payments) for _ in range(5)))
    assert sum(taken) == 30
    assert sorted(c["order_id"] for c in recording_orders.named("record_payment_succeeded")) == sorted(orders)


async def _dead_event(
    signed_webhook: SignedWebhook, payments: PaymentsServices, recording_orders: RecordingOrders
) -> dict[str, Any]:
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=str(uuid.uuid4())))
    await signed_webhook(event)
    recording_orders.failures = 1
    await process_stripe_events(payments, max_attempts=1)
    return event


async def test_a_platform_admin_lists_the_dead_events_and_retries_one(
    client: httpx.AsyncClient, platform_admin: TestUser, signed_webhook: SignedWebhook,
    resources: Resources, orders_factory: OrdersFactory, recording_orders: RecordingOrders, payments: PaymentsServices,
) -> None:
    dead = await _dead_event(signed_webhook, payments, recording_orders)
    alive = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=str(uuid.uuid4())))
    await signed_webhook(alive)

    listed = await client.get(EVENTS, params={"status": "dead"}, headers=platform_admin.headers)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["event_id"], item["type"], item["status"], item["attempts"]) == (
        dead["id"], "payment_intent.succeeded", "dead", 1)
    assert item["last_error"] == "RuntimeError: ordering failed on record_payment_succeeded"
    assert item["object_id"] == dead["data"]["object"]["id"]
    assert listed.json()["next_cursor"] is None

    retried = await client.post(f"{EVENTS}/{dead['id']}/retry", headers=platform_admin.headers)
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
    assert await process_stripe_events(payments) == 2
    assert (await _row(resources, dead["id"]))["status"] == "processed"
    assert (await client.get(EVENTS, params={"status": "dead"}, headers=platform_admin.headers)).json()["items"] == []


async def test_retrying_an_event_that_is_not_dead_is_a_conflict_and_an_unknown_one_not_found(
    client: httpx.AsyncClient, platform_admin: TestUser, signed_webhook: SignedWebhook,
) -> None:
    event = stripe_event("payment_intent.succeeded", payment_intent_object(order_id=str(uuid.uuid4())))
    await signed_webhook(event)
    pending = await client.post(f"{EVENTS}/{event['id']}/retry", headers=platform_admin.headers)
    assert pending.status_code == 409
    assert pending.json()["type"].endswith("/stripe-event-not-retryable")
    unknown = await client.post(f"{EVENTS}/evt_never_received/retry", headers=platform_admin.headers)
    assert unknown.status_code == 404


async def test_the_event_list_pages_newest_first_with_an_opaque_cursor(
    client: httpx.AsyncClient, platform_admin: TestUser, signed_webhook: SignedWebhook,
) -> None:
    ids = []
    for _ in range(5):
        event = stripe_event("invoice.paid", {"id": "in_1", "object": "invoice"})
        ids.append(event["id"])
        await signed_webhook(event)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(EVENTS, params=params, headers=platform_admin.headers)).json()
        seen += [item["event_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    ignored = (await client.get(EVENTS, params={"status": "ignored"}, headers=platform_admin.headers)).json()
    assert len(ignored["items"]) == 5


async def test_bad_list_parameters_are_422_problems_naming_them(
    client: httpx.AsyncClient, platform_admin: TestUser,
) -> None:
    for params, name in (({"status": "zombie"}, "status"), ({"limit": 0}, "limit"), ({"cursor": "@@"}, "cursor")):
        response = await client.get(EVENTS, params=params, headers=platform_admin.headers)
        assert response.status_code == 422, params
        assert name in response.text


async def test_only_platform_admins_see_or_retry_events(
    client: httpx.AsyncClient, make_user: MakeUser,
) -> None:
    buyer = await make_user()
    assert (await client.get(EVENTS)).status_code == 401
    assert (await client.get(EVENTS, headers=buyer.headers)).status_code == 403
    assert (await client.post(f"{EVENTS}/evt_1/retry", headers=buyer.headers)).status_code == 403
    assert (await client.post(f"{EVENTS}/evt_1/retry")).status_code == 401
