"""Composition root of the worker: the process's container (`lml.container`), the Dramatiq broker,
its actors (each bound to the services it works with) and the periodic ticks, and the one outbox
handler map the relay delivers with."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from functools import partial
from types import FrameType
from typing import Any

import dramatiq
import redis as syncredis
import uvloop
from dramatiq.asyncio import EventLoopThread, get_event_loop_thread, set_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO

from lml.admission.infrastructure import actors as admission_actors
from lml.admission.infrastructure.backlog import waiting_room_backlog
from lml.config import Settings
from lml.container import Container, build_container, outbox_handlers
from lml.notifications.infrastructure import actors as notifications_actors
from lml.notifications.infrastructure.backlog import message_backlog
from lml.ordering.infrastructure import actors as ordering_actors
from lml.ordering.infrastructure.outbox_handlers import ScheduleExpiry
from lml.payments.infrastructure import actors as payments_actors
from lml.payments.infrastructure.backlog import stripe_inbox_backlog
from lml.platform.backlog import BacklogCollector, on_loop
from lml.platform.logging import configure_logging, get_logger
from lml.platform.metrics import serve_metrics
from lml.platform.outbox import Handler, OutboxRelay, outbox_backlog
from lml.platform.pool_metrics import keep_sampling
from lml.platform.tracing.messages import TraceMessages
from lml.platform.tracing.setup import configure_tracing
from lml.seating.infrastructure import actors as seating_actors

log = get_logger("lml.worker")

# How long a stop waits for the messages in flight before it gives up on them (they are redelivered).
GRACE_MS = 30_000


class OpenResources(dramatiq.Middleware):
    """Opens the process's connections on the worker's event loop before the first message can run
    (Dramatiq starts its worker threads before its `after_worker_boot` hooks), and closes them after
    the last message in flight has finished. Added after AsyncIOOnLibuv, whose `before_worker_boot` starts
    the loop; `after_*` hooks run in reverse order, so this one closes the connections while the loop
    still runs."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _loop().run_coroutine(self.container.open())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _loop().run_coroutine(self.container.close())


class AsyncIOOnLibuv(AsyncIO):
    """Dramatiq's AsyncIO middleware, its event loop libuv's (uvloop), as `lml serve` runs the API's: the
    worker's share of a paid order measured 5 % less CPU than on asyncio's own loop (docs/benchmarks.md)."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        thread = EventLoopThread(self.logger)
        thread.loop.close()  # asyncio's own, made by the thread and never run
        thread.loop = uvloop.new_event_loop()
        thread.start(timeout=1.0)
        set_event_loop_thread(thread)


def _loop() -> EventLoopThread:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("the AsyncIO middleware has not started its event loop")
    return thread


def build_broker(settings: Settings, container: Container) -> RedisBroker:
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.broker_redis_url, namespace=f"{settings.redis_key_prefix}:dramatiq"
    )
    broker.add_middleware(AsyncIOOnLibuv())
    broker.add_middleware(OpenResources(container))
    broker.add_middleware(TraceMessages())
    dramatiq.set_broker(broker)
    return broker


def expiry_messages(broker: dramatiq.Broker) -> ScheduleExpiry:
    """Each new order's expiry: a message delayed to its deadline, to the worker's expiry actor."""

    async def schedule(order_id: str, delay_ms: int) -> None:
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name="default", actor_name=ordering_actors.EXPIRE_ORDER_ACTOR, args=(order_id,), kwargs={},
            options={})
        # The Redis broker's client is synchronous: keep it off the event loop.
        await asyncio.to_thread(broker.enqueue, message, delay=delay_ms)

    return schedule


class Worker:
    """The worker process: broker, actors, and a ticker that schedules periodic actors cluster-wide.

    `run()` blocks until SIGTERM/SIGINT (or `request_stop()`), then stops gracefully: no new
    message is taken, the ones in flight finish (up to `GRACE_MS`), connections close last.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        threads: int = 8,
        handlers: Mapping[str, list[Handler]] | None = None,
        container: Container | None = None,
    ) -> None:
        self.settings = settings
        self.container = container or build_container(settings)
        self.resources = self.container.resources
        self.broker = build_broker(settings, self.container)
        self.relay = OutboxRelay(
            self.resources.db,
            self.resources.clock,
            handlers if handlers is not None else outbox_handlers(self.container,
                                                                  schedule_expiry=expiry_messages(self.broker)),
            max_attempts=settings.outbox_max_attempts,
            claim_lease=timedelta(seconds=settings.outbox_claim_lease_seconds),
        )
        self.threads = threads
        self.actors: dict[str, dramatiq.Actor[Any, Any]] = {}
        self.periodic: list[tuple[str, float]] = []
        self._stop = threading.Event()
        self._register()

    def actor(
        self, name: str, fn: Callable[..., Awaitable[Any]], *, every: float | None = None, **options: Any
    ) -> dramatiq.Actor[Any, Any]:
        """Register `fn(*args)` as the actor `name` (sent with `*args`); with `every`, the ticker also
        sends it every that many seconds, once per interval across all worker processes."""

        async def perform(*args: Any) -> None:
            await fn(*args)

        self.actors[name] = dramatiq.actor(actor_name=name, broker=self.broker, **options)(perform)
        if every is not None:
            self.periodic.append((name, every))
        return self.actors[name]

    def _register(self) -> None:
        container = self.container
        seating, ordering, payments, notifications = (container.seating, container.ordering, container.payments,
                                                      container.notifications)

        async def relay_outbox() -> None:
            while await self.relay.relay_batch() > 0:
                pass

        self.actor("relay_outbox", relay_outbox, every=1.0, max_retries=0, time_limit=120_000)
        # Seating: expiries reach the availability streams even when nobody touches the show.
        self.actor("seating_purge_expired_holds", partial(seating_actors.purge_expired_holds, seating), every=1.0,
                   max_retries=0, time_limit=60_000)
        # Ordering: one delayed message per order at its deadline, and a sweeper as the backstop.
        self.actor(ordering_actors.EXPIRE_ORDER_ACTOR, partial(ordering_actors.expire_order, ordering), max_retries=5,
                   time_limit=60_000)
        self.actor(ordering_actors.SWEEP_EXPIRED_ORDERS_ACTOR, partial(ordering_actors.sweep_expired_orders, ordering),
                   every=10.0, max_retries=0, time_limit=120_000)
        # Ordering: the orders of cancelled shows, cancelled or refunded a batch at a time.
        self.actor(ordering_actors.CANCEL_SHOW_ORDERS_ACTOR, partial(ordering_actors.cancel_show_orders, ordering),
                   every=1.0, max_retries=0, time_limit=600_000)

        # Payments: the Stripe event inbox, and reconciliation so that a lost webhook strands nobody.
        async def process_stripe_events() -> None:
            while await payments_actors.process_stripe_events(payments) >= payments_actors.BATCH:
                pass

        self.actor("payments_process_stripe_events", process_stripe_events, every=1.0, max_retries=0,
                   time_limit=120_000)
        self.actor("payments_reconcile", partial(payments_actors.reconcile_stripe_payments, payments), every=60.0,
                   max_retries=0, time_limit=300_000)
        # Notifications: what is due goes out, shows starting within a day get their reminder, and
        # announcements (reminders too) are planned a batch of recipients at a time.
        self.actor("notifications_send", partial(notifications_actors.send_messages, notifications), every=1.0,
                   max_retries=0, time_limit=600_000)
        self.actor("notifications_plan_announcements", partial(notifications_actors.plan_announcements,
                                                               notifications), every=1.0, max_retries=0,
                   time_limit=300_000)
        self.actor("notifications_plan_reminders", partial(notifications_actors.plan_reminders, notifications),
                   every=60.0, max_retries=0, time_limit=120_000)
        # Waiting rooms: the next buyers in line are let in every second, at each room's pace.
        self.actor("admission_admit_buyers", partial(admission_actors.admit_buyers, container.admission),
                   every=1.0, max_retries=0, time_limit=60_000)

    def _tick(self) -> None:
        """Every worker process runs this, but a Redis NX key lets one tick per interval through (in the
        broker's Redis: what it schedules goes through there anyway)."""
        client = syncredis.Redis.from_url(self.settings.broker_redis_url)
        try:
            while not self._stop.is_set():
                for name, interval in self.periodic:
                    key = f"{self.settings.redis_key_prefix}:worker:tick:{name}"
                    try:
                        if client.set(key, b"1", nx=True, px=int(interval * 1000)):
                            self.actors[name].send()
                    except syncredis.RedisError as exc:
                        log.warning("tick_failed", actor=name, error=type(exc).__name__)
                self._stop.wait(0.2)
        finally:
            client.close()

    def _serve_metrics(self) -> Callable[[], None]:
        """The pools sampled on the worker's event loop, and, on LML_WORKER_METRICS_PORT, `/metrics`:
        the worker's counters and the backlog, read at scrape time by each context's probe. Returns
        what stops both."""
        loop = _loop().loop
        resources, container = self.resources, self.container
        probes = [
            partial(outbox_backlog, resources.db, resources.clock),
            partial(stripe_inbox_backlog, container.payments),
            partial(message_backlog, container.notifications),
            partial(waiting_room_backlog, container.admission),
        ]
        port = self.settings.worker_metrics_port
        stop_serving = (serve_metrics(self.settings.host, port, [BacklogCollector(probes, on_loop(loop))]) if port
                        else None)
        if port:
            log.info("worker_metrics_serving", host=self.settings.host, port=port)
        stopping = asyncio.Event()
        sampling = asyncio.run_coroutine_threadsafe(keep_sampling(resources.db, resources.redis, stopping), loop)

        def stop() -> None:
            if stop_serving is not None:
                stop_serving()
            loop.call_soon_threadsafe(stopping.set)
            try:
                sampling.result(timeout=5)
            except Exception as exc:  # noqa: BLE001 - the worker's stop goes on regardless
                log.warning("pool_sampling_failed", error=type(exc).__name__)

        return stop

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Ask `run()` to stop gracefully; safe from a signal handler or another thread."""
        log.info("worker_stopping", signal=signum)
        self._stop.set()

    def run(self) -> None:
        # Installed first, so that a SIGTERM during start-up also stops gracefully. Signal handlers
        # can only be installed from the main thread; elsewhere (tests, an embedding process) the
        # owner calls `request_stop()`.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        worker = dramatiq.Worker(self.broker, worker_threads=self.threads)
        worker.start()
        ticker = threading.Thread(target=self._tick, name="lml-ticker", daemon=True)
        ticker.start()
        stop_metrics: Callable[[], None] | None = None
        try:
            stop_metrics = self._serve_metrics()
            log.info("worker_started", threads=self.threads, actors=sorted(self.actors))
            self._stop.wait()
        finally:
            self._stop.set()
            ticker.join(timeout=2)
            if stop_metrics is not None:
                stop_metrics()
            worker.stop(timeout=GRACE_MS)
            self.broker.close()
            log.info("worker_stopped")


def run_worker(settings: Settings | None = None, *, threads: int = 8) -> None:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    configure_tracing("lml-worker")
    Worker(settings, threads=threads).run()
