"""Refunds on request: each show's policy prices what a buyer asks for, operators approve or decline,
and an approved refund gives back exactly the tickets it names once Stripe has refunded it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from lml.platform.resources import Resources
from tests.e2e.ordering.journey import hold, order_status, paid, tickets_of
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.identity import MakeOperator
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import MakeBuyer, TestBuyer

PREMIUM = 12000  # the fixtures' price of a premium seat (fee 0)


async def _paid(api: httpx.AsyncClient, buyer: TestBuyer, show: TestShow, seats: list[str],
                stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
                zones: dict[str, int] | None = None) -> dict[str, Any]:
    placed = await paid(api, buyer, show.show_id, seats, stripe_app, signed_webhook, zones)
    await worker.drain()
    return placed



async def _ask(api: httpx.AsyncClient, buyer: TestBuyer, order_id: str, **body: Any) -> httpx.Response:
    return await api.post(f"/v1/orders/{order_id}/refund-requests", json=body, headers=buyer.headers)


async def _queue(api: httpx.AsyncClient, show: TestShow, query: str = "status=pending") -> list[dict[str, Any]]:
    response = await api.get(f"/v1/admin/refund-requests?{query}", headers=show.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()["requests"]  # type: ignore[no-any-return]


async def test_a_show_has_the_default_policy_until_its_operator_sets_one(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_operator: MakeOperator,
) -> None:
    show = await make_show_on_sale(seats=2)
    path = f"/v1/admin/shows/{show.show_id}/refund-policy"
    default = await api.get(path, headers=show.operator.headers)
    assert default.status_code == 200, default.text
    assert default.json() == {"show_id": show.show_id, "is_default": True, "fees_refundable": False, "tiers": [
        {"hours_before": 168, "percent": 100}, {"hours_before": 48, "percent": 50}]}

    policy = {"tiers": [{"hours_before": 24, "percent": 80}, {"hours_before": 720, "percent": 100}],
              "fees_refundable": True}
    set_ = await api.put(path, json=policy, headers=show.operator.headers)
    assert set_.status_code == 200, set_.text
    assert set_.json()["tiers"] == [{"hours_before": 720, "percent": 100}, {"hours_before": 24, "percent": 80}]
    assert (await api.get(path, headers=show.operator.headers)).json()["is_default"] is False

    bad = await api.put(path, json={"tiers": [{"hours_before": -1, "percent": 120}, {"hours_before": 5, "percent": 50},
                                              {"hours_before": 5, "percent": 40}]}, headers=show.operator.headers)
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"/tiers/0/hours_before", "/tiers/0/percent",
                                                          "/tiers/2/hours_before"}
    rising_tiers = [{"hours_before": 100, "percent": 10}, {"hours_before": 1, "percent": 90}]
    rising = await api.put(path, json={"tiers": rising_tiers}, headers=show.operator.headers)
    assert rising.status_code == 422 and "closer the show" in rising.text
    stranger = await make_operator("owner")
    assert (await api.get(path, headers={**stranger.headers, "X-Org-ID": stranger.org_id})).status_code == 404
    box_office = await make_operator("box_office", org_id=show.org_id)
    assert (await api.put(path, json=policy, headers=box_office.headers)).status_code == 403


async def test_a_whole_order_asked_a_month_ahead_is_refunded_in_full_once_approved(
    api: httpx.AsyncClient, resources: Resources, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer,
    stripe_app: StripeApp, signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer = make_buyer()
    seats = sorted(show.seat_ids)[:2]
    placed = await _paid(api, buyer, show, seats, stripe_app, signed_webhook, worker)

    asked = await _ask(api, buyer, placed["order_id"], reason="cannot come")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["percent"], request["amount"]) == ("pending", 100, placed["total"])
    assert len(request["ticket_ids"]) == 2
    again = await _ask(api, buyer, placed["order_id"])
    assert again.status_code == 409 and again.json()["refund_request_id"] == request["request_id"]
    someone_else = await _ask(api, make_buyer(), placed["order_id"])
    assert someone_else.status_code == 404

    [queued] = await _queue(api, show)
    assert (queued["request_id"], queued["buyer_email"]) == (request["request_id"], buyer.email)
    approved = await api.post(f"/v1/admin/refund-requests/{request['request_id']}/approve", json={},
                              headers=show.operator.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["refund_id"]
    twice = await api.post(f"/v1/admin/refund-requests/{request['request_id']}/approve", json={},
                           headers=show.operator.headers)
    assert twice.status_code == 200 and twice.json()["refund_id"] == approved.json()["refund_id"]
    await worker.drain()

    assert await order_status(api, buyer, placed["order_id"]) == "refunded"
    refunds = await stripe_app.refunds_of(placed["payment"]["payment_intent_id"])
    assert [(r["amount"], r["status"]) for r in refunds] == [(placed["total"], "succeeded")]
    assert {t["status"] for t in await tickets_of(api, buyer, placed["order_id"])} == {"void"}
    assert (await hold(api, make_buyer(), show.show_id, seats)).status_code == 201  # back on sale
    assert await _queue(api, show) == []
    async with resources.db.unit_of_work() as uow:
        actions = [r["action"] for r in await (await uow.conn.execute(
            "SELECT action FROM ordering.order_events WHERE order_id = %s ORDER BY event_id",
            (placed["order_id"],))).fetchall()]
    assert actions[-3:] == ["refund_request_made", "refund_requested", "refund_settled"]


async def test_some_tickets_asked_three_days_ahead_get_half_back_and_only_they_are_given_up(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    show = await make_show_on_sale(seats=4, zones={"floor": 10}, starts_in=timedelta(days=3))
    buyer = make_buyer()
    seats = sorted(show.seat_ids)[:2]
    placed = await _paid(api, buyer, show, seats, stripe_app, signed_webhook, worker, zones={"floor": 3})
    tickets = await tickets_of(api, buyer, placed["order_id"])
    given_up = [next(t for t in tickets if t["seat_id"] == seats[0]),
                next(t for t in tickets if t["zone_id"] == "floor")]
    prices = {line["seat_id"] or line["zone_id"]: line["unit_price"] for line in placed["lines"]}

    asked = await _ask(api, buyer, placed["order_id"], ticket_ids=[t["ticket_id"] for t in given_up])
    assert asked.status_code == 201, asked.text
    assert (asked.json()["percent"], asked.json()["amount"]) == (50, (prices[seats[0]] + prices["floor"]) // 2)
    approved = await api.post(f"/v1/admin/refund-requests/{asked.json()['request_id']}/approve",
                              json={"note": "as the policy says"}, headers=show.operator.headers)
    assert approved.status_code == 200, approved.text
    await worker.drain()

    assert await order_status(api, buyer, placed["order_id"]) == "partially_refunded"
    status = {t["ticket_id"]: t["status"] for t in await tickets_of(api, buyer, placed["order_id"])}
    assert sorted(status.values()) == ["valid", "valid", "valid", "void", "void"]
    assert {status[t["ticket_id"]] for t in given_up} == {"void"}
    availability = (await api.get(f"/v1/shows/{show.show_id}/availability")).json()
    codes = dict(zip(sorted(show.seat_ids), availability["seats"], strict=True))
    assert (codes[seats[0]], codes[seats[1]]) == ("a", "s")
    assert [z["remaining"] for z in availability["zones"] if z["zone_id"] == "floor"] == [10 - 3 + 1]
    # The tickets given up are no longer the buyer's to ask for; the others still are.
    stale = await _ask(api, buyer, placed["order_id"], ticket_ids=[given_up[0]["ticket_id"]])
    assert stale.status_code == 422 and stale.json()["errors"][0]["path"] == "/ticket_ids/0"


async def test_asked_too_late_is_refused_and_a_declined_request_says_why(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker,
) -> None:
    late_show = await make_show_on_sale(seats=2, starts_in=timedelta(hours=30))
    buyer = make_buyer()
    late = await _paid(api, buyer, late_show, late_show.seat_ids[:1], stripe_app, signed_webhook, worker)
    refused = await _ask(api, buyer, late["order_id"])
    assert refused.status_code == 409 and refused.json()["percent"] == 0

    show = await make_show_on_sale(seats=2)
    placed = await _paid(api, buyer, show, show.seat_ids[:1], stripe_app, signed_webhook, worker)
    asked = (await _ask(api, buyer, placed["order_id"])).json()
    no_reason = await api.post(f"/v1/admin/refund-requests/{asked['request_id']}/decline", json={},
                               headers=show.operator.headers)
    assert no_reason.status_code == 422
    declined = await api.post(f"/v1/admin/refund-requests/{asked['request_id']}/decline",
                              json={"reason": "the tickets were sold as final"}, headers=show.operator.headers)
    assert declined.status_code == 200, declined.text
    approve_after = await api.post(f"/v1/admin/refund-requests/{asked['request_id']}/approve", json={},
                                   headers=show.operator.headers)
    assert approve_after.status_code == 409
    [seen] = (await api.get(f"/v1/orders/{placed['order_id']}/refund-requests", headers=buyer.headers)).json()[
        "requests"]
    assert (seen["status"], seen["decision_note"]) == ("declined", "the tickets were sold as final")
    assert await order_status(api, buyer, placed["order_id"]) == "paid"
    assert await stripe_app.refunds_of(placed["payment"]["payment_intent_id"]) == []
    assert (await _ask(api, buyer, placed["order_id"])).status_code == 201  # asking again is allowed
    assert [r["status"] for r in await _queue(api, show, "")] == ["declined", "pending"]
