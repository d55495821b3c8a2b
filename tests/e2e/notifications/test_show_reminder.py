"""The day before a show, every holder of a valid ticket is reminded of it, once; a refunded buyer is
not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from tests.e2e.ordering.journey import paid
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.mail import MailSink, text_of
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.seating import MakeBuyer
from tests.timing import TestClock


async def test_holders_of_valid_tickets_are_reminded_the_day_before_and_only_once(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, clock: TestClock,
) -> None:
    show = await make_show_on_sale(seats=6, starts_in=timedelta(days=3))
    later = await make_show_on_sale(seats=2, starts_in=timedelta(days=10))
    holder, refunded = make_buyer(), make_buyer()
    await paid(api, holder, show.show_id, show.seat_ids[:2], stripe_app, signed_webhook)
    refund = await paid(api, refunded, show.show_id, show.seat_ids[2:3], stripe_app, signed_webhook)
    await paid(api, make_buyer(), later.show_id, later.seat_ids[:1], stripe_app, signed_webhook)
    await worker.drain()
    refunding = await api.post(f"/v1/admin/orders/{refund['order_id']}/refund", json={"reason": "asked"},
                               headers={**show.operator.headers, "Idempotency-Key": uuid.uuid4().hex})
    assert refunding.status_code == 202, refunding.text
    await worker.drain()
    await worker.send_mail()
    before = len(await mail_sink.wait_for(4))  # three confirmations and a refund

    assert await worker.plan_reminders() == 0  # three days ahead: too early
    clock.advance(days=2, hours=1)
    assert await worker.plan_reminders() == 1
    assert await worker.plan_reminders() == 0
    await worker.plan_announcements()
    await worker.send_mail()

    [reminder] = (await mail_sink.wait_for(before + 1))[before:]
    assert str(reminder["To"]) == holder.email
    assert str(reminder["Subject"]).startswith("See you soon:")
    assert "/orders" in text_of(reminder)
    listed = (await api.get(f"/v1/admin/shows/{show.show_id}/announcements", headers=show.operator.headers)).json()
    assert [(a["kind"], a["recipients"], a["sent"]) for a in listed["announcements"]] == [("show_reminder", 1, 1)]
    assert len(mail_sink.messages()) == before + 1
