"""A cancelled show refunds its buyers: paid orders refunded in full on Stripe with their tickets void,
pending orders cancelled with their PaymentIntents, live holds dropped, nothing sold for it again,
and the operator sees where every buyer's money stands. Resumable, and never a refund twice."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
import pytest

from lml.config import Settings
from lml.ordering.infrastructure import actors as ordering_actors
from lml.platform.resources import Resources
from tests.e2e.ordering.journey import buy, hold, many_paid, order_status, paid, pay_on_stripe, tickets_of
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.processes import process
from tests.fixtures.seating import ApiFrom, MakeBuyer, TestBuyer
from tests.timing import eventually, waiting_for_a_lock


async def _cancel(api: httpx.AsyncClient, show: TestShow) -> None:
    response = await api.post(f"/v1/admin/shows/{show.show_id}/cancel", headers=show.operator.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"


async def _report(api: httpx.AsyncClient, show: TestShow) -> dict[str, Any]:
    response = await api.get(f"/v1/admin/shows/{show.show_id}/cancellation", headers=show.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]



async def test_a_cancelled_show_refunds_the_paid_cancels_the_pending_and_frees_the_held(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=10)
    seats = sorted(show.seat_ids)
    paid_buyer, part_refunded_buyer, pending_buyer, holder = (make_buyer() for _ in range(4))
    paid_order = await paid(api, paid_buyer, show.show_id, seats[0:2], stripe_app, signed_webhook)
    part = await paid(api, part_refunded_buyer, show.show_id, seats[2:4], stripe_app, signed_webhook)
    await worker.drain()
    first_refund = await api.post(f"/v1/admin/orders/{part['order_id']}/refund",
                                  json={"reason": "a seat was broken", "amount": 1000}, headers=show.operator.headers)
    assert first_refund.status_code == 202, first_refund.text
    await worker.drain()
    pending = await buy(api, pending_buyer, show.show_id, seats[4:6])
    held = await hold(api, holder, show.show_id, seats[6:8])
    assert held.status_code == 201, held.text

    await _cancel(api, show)
    assert (await _report(api, show))["state"] == "cancelling_orders"
    await worker.drain()

    assert await order_status(api, paid_buyer, paid_order["order_id"]) == "refunded"
    assert await order_status(api, part_refunded_buyer, part["order_id"]) == "refunded"
    assert await order_status(api, pending_buyer, pending["order_id"]) == "cancelled"
    paid_refunds = await stripe_app.refunds_of(paid_order["payment"]["payment_intent_id"])
    assert [(r["amount"], r["status"]) for r in paid_refunds] == [(paid_order["total"], "succeeded")]
    part_refunds = await stripe_app.refunds_of(part["payment"]["payment_intent_id"])
    assert sorted(r["amount"] for r in part_refunds) == [1000, part["total"] - 1000]
    pending_pi = await stripe_app.payment_intent(pending["payment"]["payment_intent_id"])
    assert pending_pi["status"] == "canceled"
    for buyer, order in ((paid_buyer, paid_order), (part_refunded_buyer, part)):
        assert {t["status"] for t in await tickets_of(api, buyer, order["order_id"])} == {"void"}
    attendees = await api.get(f"/v1/admin/shows/{show.show_id}/attendees.csv", headers=show.operator.headers)
    assert attendees.text.count("\n") == 1  # the header only: nobody is let in

    codes = dict(zip(seats, (await api.get(f"/v1/shows/{show.show_id}/availability")).json()["seats"], strict=True))
    assert "h" not in codes.values()  # the holder's seats are no longer held
    assert [codes[s] for s in seats[4:6]] == ["a", "a"]  # the pending order's seats were released
    extend = await api.patch(f"/v1/holds/{held.json()['hold_id']}",
                             headers={**holder.headers, "If-Match": held.json()["hold_token"]})
    assert extend.status_code == 404  # the hold is gone
    again = await hold(api, make_buyer(), show.show_id, seats[8:10])
    assert again.status_code == 422 and "cancelled" in again.text

    report = await _report(api, show)
    assert report["state"] == "done", report
    assert (report["orders_left"], report["orders_cancelled_unpaid"]) == (0, 1)
    assert (report["orders_to_refund"], report["orders_refunded"]) == (2, 2)
    assert report["amount_to_refund"] == report["amount_refunded"] == paid_order["total"] + part["total"]
    assert (report["refunds_in_flight"], report["failed"], report["needs_person"]) == (0, [], [])


async def test_a_payment_that_lands_after_the_cancellation_is_refunded_not_sold(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    placed = await buy(api, buyer, show.show_id, show.seat_ids[:2])
    await _cancel(api, show)
    await worker.relay_outbox()  # ordering has learnt of the cancellation; no batch has run yet
    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()

    assert await order_status(api, buyer, placed["order_id"]) == "refunded"
    assert await tickets_of(api, buyer, placed["order_id"]) == []
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert [(r["amount"], r["status"]) for r in refunds] == [(placed["total"], "succeeded")]
    report = await _report(api, show)
    assert (report["state"], report["orders_to_refund"], report["orders_refunded"]) == ("done", 1, 1)


async def test_an_order_cannot_be_placed_the_moment_the_catalog_cancelled_the_show(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    held = await hold(api, buyer, show.show_id, show.seat_ids[:1])
    assert held.status_code == 201, held.text
    # No outbox relayed: the hold is still live in Redis and ordering has not heard of the cancellation;
    # the order's terms, read in its own transaction, already say it.
    await _cancel(api, show)
    placed = await api.post("/v1/orders", json={"hold_id": held.json()["hold_id"],
                                                "hold_token": held.json()["hold_token"]}, headers=buyer.headers)
    assert placed.status_code == 409 and "cancelled" in placed.text


async def test_an_operator_sees_the_refund_stripe_refused_as_needing_a_person(
    api: httpx.AsyncClient, resources: Resources, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    placed = await paid(api, buyer, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook)
    await worker.drain()
    async with resources.db.unit_of_work() as uow:
        # Stripe no longer knows the PaymentIntent (made with another account's key, say): it refuses the refund.
        await uow.conn.execute("UPDATE payments.payment_intents SET payment_intent_id = 'pi_unknown_to_stripe'"
                               " WHERE order_id = %s", (placed["order_id"],))
        await uow.commit()
    await _cancel(api, show)
    await worker.drain()

    report = await _report(api, show)
    assert report["state"] == "needs_attention"
    [failed] = report["failed"]
    assert (failed["order_id"], failed["amount"], failed["status"]) == (placed["order_id"], placed["total"], "failed")
    assert "refused" in failed["reason"]
    assert report["needs_person"] == [{"order_id": placed["order_id"], "amount_owed": placed["total"],
                                       "reason": failed["reason"]}]
    assert {t["status"] for t in await tickets_of(api, buyer, placed["order_id"])} == {"void"}



async def _many_paid_orders(api_from: ApiFrom, show: TestShow, make_buyer: MakeBuyer, stripe_app: StripeApp,
                            signed_webhook: SignedWebhook, count: int) -> list[tuple[TestBuyer, dict[str, Any]]]:
    buyers = [make_buyer() for _ in range(count)]
    placed = await many_paid(api_from, show.show_id, sorted(show.seat_ids), buyers, stripe_app, signed_webhook)
    return list(zip(buyers, placed, strict=True))


async def _each_refunded_once(api: httpx.AsyncClient, stripe_app: StripeApp,
                              orders: list[tuple[TestBuyer, dict[str, Any]]]) -> None:
    for buyer, order in orders:
        refunds = await stripe_app.refunds_of(order["payment"]["payment_intent_id"])
        assert [(r["amount"], r["status"]) for r in refunds] == [(order["total"], "succeeded")], order["order_id"]
        assert {t["status"] for t in await tickets_of(api, buyer, order["order_id"])} == {"void"}


@pytest.mark.slow
async def test_workers_racing_over_a_cancellation_refund_each_order_once(
    api: httpx.AsyncClient, api_from: ApiFrom, resources: Resources, make_show_on_sale: MakeShowOnSale,
    make_buyer: MakeBuyer, stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=40)
    orders = await _many_paid_orders(api_from, show, make_buyer, stripe_app, signed_webhook, 40)
    await worker.drain()
    await _cancel(api, show)
    await worker.relay_outbox()

    ordering = worker.container.ordering
    handled = await asyncio.gather(*(ordering_actors.cancel_show_orders(ordering, batch=3) for _ in range(4)))
    await worker.drain()

    assert sum(handled) == 40
    await _each_refunded_once(api, stripe_app, orders)
    report = await _report(api, show)
    assert (report["state"], report["orders_refunded"]) == ("done", 40)


@pytest.mark.slow
async def test_a_worker_killed_half_way_through_a_cancellation_leaves_the_rest_to_the_next(
    api: httpx.AsyncClient, api_from: ApiFrom, settings: Settings, resources: Resources,
    make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp, signed_webhook: SignedWebhook,
    worker: TestWorker, tmp_path: Path,
) -> None:
    show = await make_show_on_sale(seats=60)
    orders = await _many_paid_orders(api_from, show, make_buyer, stripe_app, signed_webhook, 60)
    await worker.drain()
    in_batches_of_ten = msgspec.structs.replace(settings, cancellation_batch_size=10)
    stuck_at = sorted(order["order_id"] for _, order in orders)[34]

    async def handled() -> int:
        async with resources.db.unit_of_work() as uow:
            row = await (await uow.conn.execute(
                "SELECT count(*) AS n FROM ordering.cancelled_orders WHERE show_id = %s", (show.show_id,))).fetchone()
        return int(row["n"]) if row else 0

    # Payments' lock on the 35th order is taken elsewhere: the real worker (`lml worker`, one thread, so
    # that no second batch runs past the stuck one) commits three batches, handles four orders of the
    # fourth, waits there, and is killed with SIGKILL.
    blocker = await psycopg.AsyncConnection.connect(settings.database_url, autocommit=True)
    await blocker.execute("SELECT pg_advisory_lock(%s::int, hashtext(%s))", (0x5041594D, stuck_at))
    try:
        with process(["worker", "--threads", "1"], in_batches_of_ten, tmp_path / "first.log") as first:
            await _cancel(api, show)

            async def stuck_after_three_batches() -> bool:
                assert first.poll() is None, (tmp_path / "first.log").read_text()
                return await handled() >= 30 and await waiting_for_a_lock(resources, "advisory")

            await eventually(stuck_after_three_batches, within=60, what="the first worker stuck on the 35th order")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
    finally:
        await blocker.close()
    assert await handled() == 30

    with process(["worker", "--threads", "2"], in_batches_of_ten, tmp_path / "second.log") as second:
        async def finished() -> bool:
            assert second.poll() is None, (tmp_path / "second.log").read_text()
            return (await _report(api, show))["state"] == "done"

        await eventually(finished, within=90, what="the second worker to finish the cancellation")

    await _each_refunded_once(api, stripe_app, orders)
    report = await _report(api, show)
    assert (report["orders_to_refund"], report["orders_refunded"], report["needs_person"]) == (60, 60, [])

