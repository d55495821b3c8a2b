"""Traces, recorded by the SDK in the process under test: a payment's trace runs from Stripe's webhook
through the worker's settlement to the buyer's email; stores' calls show under the request that made
them; a message sent to the worker inside a trace is processed in it."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from lml.config import Settings
from lml.platform.tracing.spans import current_ids, span
from lml.worker import Worker
from tests.e2e.ordering.journey import buy, hold, pay_on_stripe
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.mail import MailSink
from tests.fixtures.ordering import TestWorker
from tests.fixtures.payments import SignedWebhook, StripeApp
from tests.fixtures.processes import running
from tests.fixtures.seating import MakeBuyer
from tests.fixtures.tracing import Traces
from tests.timing import eventually


@pytest.fixture
def settings(base_settings: Settings, clean_world: None, mail_sink: MailSink) -> Settings:
    return msgspec.structs.replace(base_settings, smtp_url=mail_sink.url)


async def test_a_payment_webhooks_trace_leads_to_the_settlement_and_the_confirmation_email(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, stripe_app: StripeApp,
    signed_webhook: SignedWebhook, worker: TestWorker, mail_sink: MailSink, traces: Traces,
) -> None:
    show = await make_show_on_sale(seats=4)
    placed = await buy(api, make_buyer(), show.show_id, show.seat_ids[:1])
    [stripe_call] = traces.named("stripe create_payment_intent")
    assert traces.lineage(stripe_call)[-1] == "POST /v1/orders"
    await worker.drain()
    traces.clear()

    await pay_on_stripe(stripe_app, signed_webhook, placed["payment"]["payment_intent_id"])
    await worker.drain()
    await worker.send_mail()
    await mail_sink.wait_for(1)

    [webhook] = traces.named("POST /v1/payments/stripe/webhook")
    [settlement] = traces.named("stripe event payment_intent.succeeded")
    [smtp] = traces.named("smtp send")
    assert webhook.context is not None and settlement.parent is not None
    assert settlement.parent.span_id == webhook.context.span_id
    lineage = traces.lineage(smtp)
    assert lineage[0] == "smtp send" and lineage[1] == "send order_confirmation"
    assert any(name.startswith("outbox deliver ordering.") for name in lineage)
    assert lineage[-2:] == ["stripe event payment_intent.succeeded", "POST /v1/payments/stripe/webhook"]
    trace_ids = {s.context.trace_id for s in (webhook, settlement, smtp) if s.context is not None}
    assert trace_ids == {webhook.context.trace_id}


async def test_a_holds_postgresql_and_redis_calls_are_spans_of_its_request(
    api: httpx.AsyncClient, make_show_on_sale: MakeShowOnSale, make_buyer: MakeBuyer, traces: Traces,
) -> None:
    show = await make_show_on_sale(seats=4)
    traces.clear()

    assert (await hold(api, make_buyer(), show.show_id, show.seat_ids[:2])).status_code == 201

    [request] = traces.named("POST /v1/shows/{show_id}/holds")
    assert request.context is not None and request.attributes is not None
    assert request.attributes["http.response.status_code"] == 201
    inside = [s for s in traces.spans() if s.context is not None and s.context.trace_id == request.context.trace_id
              and s is not request]
    systems = {str((s.attributes or {}).get("db.system.name")) for s in inside}
    assert {"postgresql", "redis"} <= systems
    assert all(traces.lineage(s)[-1] == request.name for s in inside)


async def test_a_message_sent_inside_a_trace_is_processed_in_that_trace(settings: Settings, traces: Traces) -> None:
    worker = Worker(settings, threads=2, handlers={})
    seen: list[tuple[str, str] | None] = []

    async def probe() -> None:
        async with worker.resources.db.unit_of_work() as uow:
            await uow.conn.execute("SELECT 1")
        seen.append(current_ids())

    probe_actor = worker.actor("test_traced_probe", probe)
    with running(worker):
        with span("sender") as sender:
            probe_actor.send()

        async def processed() -> bool:
            return bool(seen)

        await eventually(processed)

    assert sender is not None
    [processing] = traces.named("process test_traced_probe")
    assert processing.parent is not None and processing.parent.span_id == sender.get_span_context().span_id
    assert seen[0] is not None and seen[0][0] == format(sender.get_span_context().trace_id, "032x")
    [select] = [s for s in traces.named("SELECT") if (s.attributes or {}).get("db.query.text") == "SELECT 1"]
    assert select.parent is not None and processing.context is not None
    assert select.parent.span_id == processing.context.span_id
