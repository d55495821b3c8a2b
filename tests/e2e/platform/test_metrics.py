"""What an operator reads on `/metrics`: the business as it happens (holds, orders, payments,
refunds) summed over the API's processes, and the backlog on the worker's own `/metrics`."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lml.config import Settings
from lml.worker import Worker
from tests.e2e.ordering.journey import hold, order, order_status
from tests.fixtures.catalog import MakeShowOnSale
from tests.fixtures.identity import MakeUser
from tests.fixtures.payments import WEBHOOK_PATH, StripeApp
from tests.fixtures.processes import children_of, process, running
from tests.services import free_port
from tests.timing import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.mark.slow
async def test_the_api_processes_count_as_one_across_a_reload_and_the_worker_shows_the_business_and_the_backlog(
    settings: Settings, service_urls: dict[str, str], make_show_on_sale: MakeShowOnSale, make_user: MakeUser,
    stripe_app: StripeApp, tmp_path: Path,
) -> None:
    show = await make_show_on_sale(seats=4)
    buyer, rival = await make_user(), await make_user()
    # An event that waits (retried tomorrow, written an hour ago) and one that gave up.
    with psycopg.connect(service_urls["owner_dsn"], autocommit=True) as conn:
        conn.execute("INSERT INTO platform.outbox (event_type, payload, next_attempt_at, created_at) VALUES"
                     " ('test.Waiting', '{}', now() + interval '1 day', now() - interval '1 hour'),"
                     " ('test.GaveUp', '{}', now(), now())")
        conn.execute("UPDATE platform.outbox SET status = 'dead', attempts = 10 WHERE event_type = 'test.GaveUp'")
    worker_port = free_port()
    worker_metrics = f"http://127.0.0.1:{worker_port}/metrics"
    worker_settings = msgspec.structs.replace(settings, worker_metrics_port=worker_port)

    with running(Worker(worker_settings, threads=2)):
        # The show's own events are delivered at once; the one retried tomorrow stays.
        await eventually(lambda: _answers(worker_metrics) and value(scrape(worker_metrics), "lml_outbox_pending") == 1,
                         within=30, what="the worker's /metrics showing the one event waiting")
        backlog = scrape(worker_metrics)
        assert value(backlog, "lml_backlog_up") == 1 and value(backlog, "lml_outbox_dead") == 1
        assert 3600 <= value(backlog, "lml_outbox_oldest_pending_age_seconds") < 3700
        assert value(backlog, "lml_stripe_inbox_pending") == 0 and value(backlog, "lml_stripe_inbox_dead") == 0
        assert value(backlog, "lml_notifications_pending") == 0 and value(backlog, "lml_waiting_room_buyers") == 0

        port = free_port()
        api_metrics = f"http://127.0.0.1:{port}/metrics"
        served = msgspec.structs.replace(settings, host="127.0.0.1", port=port)
        with process(["serve", "--workers", "2"], served, tmp_path / "serve.log") as server:
            await eventually(lambda: _two_processes_counted(server.pid, api_metrics, settings.db_pool_max),
                             within=30, what="two API processes counting their pools")
            await stripe_app.send_webhooks_to(f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                                              settings.stripe_webhook_secrets[0])
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:
                api_before, worker_before = scrape(api_metrics), scrape(worker_metrics)

                held = await hold(api, buyer, show.show_id, show.seat_ids[:1])
                assert held.status_code == 201, held.text
                assert (await hold(api, rival, show.show_id, show.seat_ids[:1])).status_code == 409
                placed = (await order(api, buyer, held.json())).json()
                order_id = placed["order_id"]
                await stripe_app.pay(placed["payment"]["payment_intent_id"])

                async def reaches(status: str) -> bool:
                    return await order_status(api, buyer, order_id) == status

                await eventually(lambda: reaches("paid"), within=30, what="the order paid through the worker")
                refund = await api.post(f"/v1/admin/orders/{order_id}/refund", json={"reason": "cannot attend"},
                                        headers=show.operator.headers)
                assert refund.status_code == 202, refund.text
                await eventually(lambda: reaches("refunded"), within=30, what="the refund settled through the worker")
                for _ in range(20):  # each on a connection of its own, so that both processes answer some
                    read = await api.get(f"/v1/shows/{show.show_id}", headers={"Connection": "close"})
                    assert read.status_code == 200

                async with api.stream("GET", f"/v1/shows/{show.show_id}/availability/stream") as stream:
                    assert stream.status_code == 200
                    await anext(stream.aiter_lines())  # the snapshot is on its way: the stream is open
                    open_streams = scrape(api_metrics)
            api_after, worker_after = scrape(api_metrics), scrape(worker_metrics)

            # A reload (SIGHUP) replaces both processes: the pools of the ended ones are no longer
            # counted, what they counted stays.
            first = set(children_of(server.pid))
            server.send_signal(signal.SIGHUP)
            await eventually(lambda: not first & set(children_of(server.pid))
                             and _two_processes_counted(server.pid, api_metrics, settings.db_pool_max),
                             within=30, what="two new API processes counting their pools")
            reloaded = scrape(api_metrics)

    # Whichever process answered, it counted for both: all 20 reads, and both processes' pools.
    route = {"method": "GET", "route": "/v1/shows/{show_id}", "status": "200"}
    assert moved(api_before, api_after, "lml_http_requests_total", **route) == 20
    assert value(api_after, "lml_pool_connections_max", store="postgresql") == 2 * settings.db_pool_max
    assert value(open_streams, "lml_availability_streams_open") == 1
    # The API placed and refused the holds, and the order; the operator asked for the refund there.
    assert moved(api_before, api_after, "lml_holds_placed_total") == 1
    assert value(reloaded, "lml_pool_connections_max", store="postgresql") == 2 * settings.db_pool_max
    assert value(reloaded, "lml_holds_placed_total") == value(api_after, "lml_holds_placed_total")
    assert moved(api_before, api_after, "lml_holds_refused_total", reason="conflict") == 1
    assert moved(api_before, api_after, "lml_order_transitions_total", trigger="created",
                 to_status="pending_payment") == 1
    assert moved(api_before, api_after, "lml_order_transitions_total", trigger="refund_requested",
                 to_status="refund_pending") == 1
    assert moved(api_before, api_after, "lml_refunds_total", status="requested") == 1
    # The worker applied Stripe's word: the payment, then the refund.
    assert moved(worker_before, worker_after, "lml_payments_total", outcome="succeeded") == 1
    assert moved(worker_before, worker_after, "lml_order_transitions_total", trigger="payment_succeeded",
                 to_status="paid") == 1
    assert moved(worker_before, worker_after, "lml_refunds_total", status="succeeded") == 1
    assert moved(worker_before, worker_after, "lml_payments_total", outcome="failed") == 0


def _two_processes_counted(pid: int, metrics: str, pool_max: int) -> bool:
    """Two API processes run, and /metrics counts both pools (each process samples its own at start)."""
    return (len(children_of(pid)) == 2 and _answers(metrics)
            and value(scrape(metrics), "lml_pool_connections_max", store="postgresql") == 2 * pool_max)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
