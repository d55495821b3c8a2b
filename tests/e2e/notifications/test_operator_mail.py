"""Operators and their buyers' mail: an order's messages with their status, the confirmation sent
again within limits, and announcements to every holder of a valid ticket for a show."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.ordering.journey import buy, paid
from tests.fixtures.catalog import MakeShowOnSale, TestShow
from tests.fixtures.identity import MakeOperator
from tests.fixtures.mail import MailSink, text_of
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import MakeBuyer


def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def _announcements(api: httpx.AsyncClient, show: TestShow) -> list[dict[str, Any]]:
    response = await api.get(f"/v1/admin/shows/{show.show_id}/announcements", headers=show.operator.headers)
    assert response.status_code == 200, response.text
    return response.json()["announcements"]  # type: ignore[no-any-return]


async def test_an_order_s_messages_are_its_organization_s_alone(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, make_operator: MakeOperator, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=4)
    placed = await paid(api, make_buyer(), show.show_id, show.seat_ids[:1], stripe_app, signed_webhook)
    await worker.drain()
    stranger = await make_operator("owner")
    box_office = await make_operator("box_office", org_id=show.org_id)
    path = f"/v1/admin/orders/{placed['order_id']}/messages"

    _is_problem(await api.get(path, headers=stranger.headers), 404)
    _is_problem(await api.get(f"/v1/admin/orders/{uuid.uuid4()}/messages", headers=show.operator.headers), 404)
    _is_problem(await api.post(f"{path}/resend", headers=stranger.headers), 404)
    _is_problem(await api.post(f"{path}/resend", headers=box_office.headers), 403)
    listed = await api.get(path, headers=box_office.headers)  # box office reads
    assert listed.status_code == 200, listed.text
    assert [m["kind"] for m in listed.json()["messages"]] == ["order_confirmation"]


async def test_an_unpaid_order_has_no_confirmation_to_resend_and_resends_stop_at_the_buyer_s_limit(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=4)
    unpaid = await buy(api, make_buyer(), show.show_id, show.seat_ids[:1])
    _is_problem(await api.post(f"/v1/admin/orders/{unpaid['order_id']}/messages/resend",
                               headers=show.operator.headers), 409)
    placed = await paid(api, make_buyer(), show.show_id, show.seat_ids[1:2], stripe_app, signed_webhook)
    await worker.drain()
    resend = f"/v1/admin/orders/{placed['order_id']}/messages/resend"

    # The confirmation and two resends within the hour; the third resend waits.
    assert [(await api.post(resend, headers=show.operator.headers)).status_code for _ in range(2)] == [202, 202]
    refused = await api.post(resend, headers=show.operator.headers)
    _is_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    await worker.send_mail()
    assert len(await mail_sink.wait_for(3)) == 3


async def test_an_announcement_reaches_each_holder_of_a_valid_ticket_once(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink,
) -> None:
    show = await make_show_on_sale(seats=10)
    holder, two_orders, refunded, unpaid = (make_buyer() for _ in range(4))
    seats = sorted(show.seat_ids)
    await paid(api, holder, show.show_id, seats[0:2], stripe_app, signed_webhook)
    for seat in seats[2:4]:
        await paid(api, two_orders, show.show_id, [seat], stripe_app, signed_webhook)
    refund = await paid(api, refunded, show.show_id, seats[4:5], stripe_app, signed_webhook)
    await buy(api, unpaid, show.show_id, seats[5:6])
    await worker.drain()
    refunding = await api.post(f"/v1/admin/orders/{refund['order_id']}/refund", json={"reason": "asked"},
                               headers={**show.operator.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert refunding.status_code == 202, refunding.text
    await worker.drain()
    await worker.send_mail()
    before = len(mail_sink.messages())

    planned = await api.post(f"/v1/admin/shows/{show.show_id}/announcements",
                             json={"subject": "Doors at 19:30", "body": "Doors open half an hour later.\nSorry!"},
                             headers=show.operator.headers)
    assert planned.status_code == 202, planned.text
    assert (planned.json()["planned"], planned.json()["recipients"]) == (False, 0)
    await worker.plan_announcements()
    await worker.plan_announcements()  # nothing more to record
    await worker.send_mail()

    mails = (await mail_sink.wait_for(before + 2))[before:]
    assert sorted(str(m["To"]) for m in mails) == sorted([holder.email, two_orders.email])
    assert all("Doors at 19:30" in str(m["Subject"]) and "half an hour later" in text_of(m) for m in mails)
    [listed] = await _announcements(api, show)
    assert (listed["announcement_id"], listed["planned"], listed["recipients"], listed["sent"], listed["failed"],
            listed["pending"]) == (planned.json()["announcement_id"], True, 2, 2, 0, 0)


async def test_a_bad_announcement_is_refused_naming_each_field_and_records_nothing(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_operator: MakeOperator,
) -> None:
    show = await make_show_on_sale(seats=2)
    path = f"/v1/admin/shows/{show.show_id}/announcements"

    bad = await api.post(path, json={"subject": "Two\r\nlines", "body": "  "}, headers=show.operator.headers)
    _is_problem(bad, 422)
    assert sorted(e["path"] for e in bad.json()["errors"]) == ["/body", "/subject"]
    _is_problem(await api.post(path, json={"subject": "x", "body": "y", "extra": 1},
                               headers=show.operator.headers), 422)
    stranger = await make_operator("owner")
    _is_problem(await api.post(path, json={"subject": "x", "body": "y"}, headers=stranger.headers), 404)
    assert await _announcements(api, show) == []
