"""Composition root of the worker: the Dramatiq broker, its actors and the periodic ticks."""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
import redis as syncredis
from dramatiq.asyncio import EventLoopThread, get_event_loop_thread
from dramatiq.middleware.asyncio import AsyncIO

from lml.config import Settings
from lml.platform.logging import configure_logging, get_logger
from lml.platform.outbox import Handler, OutboxRelay
from lml.platform.resources import Resources

log = get_logger("lml.worker")


class OpenResources(dramatiq.Middleware):
    """Opens the process's connections on the worker's event loop, and closes them after the
    last message in flight has finished (added before AsyncIO, so the loop still runs then)."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _loop().run_coroutine(self.resources.open())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _loop().run_coroutine(self.resources.close())


def _loop() -> EventLoopThread:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("the AsyncIO middleware has not started its event loop")
    return thread


def build_broker(settings: Settings, resources: Resources) -> RedisBroker:
    broker = RedisBroker(url=settings.redis_url, namespace=f"{settings.redis_key_prefix}:dramatiq")
    broker.add_middleware(OpenResources(resources))
    broker.add_middleware(AsyncIO())
    dramatiq.set_broker(broker)
    return broker


def outbox_handlers() -> dict[str, list[Handler]]:
    """Integration event type → the handlers each context registers for it."""
    return {}


class Worker:
    """The worker process: broker, actors, and a ticker that schedules periodic actors cluster-wide."""

    def __init__(self, settings: Settings, *, threads: int = 8, handlers: dict[str, list[Handler]] | None = None):
        self.settings = settings
        self.resources = Resources(settings)
        self.broker = build_broker(settings, self.resources)
        self.relay = OutboxRelay(
            self.resources.db, self.resources.clock, handlers if handlers is not None else outbox_handlers(),
            max_attempts=settings.outbox_max_attempts,
        )
        self.threads = threads
        self.actors: dict[str, dramatiq.Actor[Any, Any]] = {}
        self.periodic: list[tuple[str, float]] = []
        self._stop = threading.Event()
        self._register()

    def _actor(self, name: str, fn: Callable[..., Awaitable[Any]], **options: Any) -> None:
        self.actors[name] = dramatiq.actor(fn, actor_name=name, broker=self.broker, **options)

    def _register(self) -> None:
        async def relay_outbox() -> None:
            while await self.relay.relay_batch() > 0:
                pass

        self._actor("relay_outbox", relay_outbox, max_retries=0, time_limit=120_000)
        self.periodic.append(("relay_outbox", 1.0))

    def _tick(self) -> None:
        """Every worker process runs this, but a Redis NX key lets one tick per interval through."""
        client = syncredis.Redis.from_url(self.settings.redis_url)
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

    def run(self) -> None:
        worker = dramatiq.Worker(self.broker, worker_threads=self.threads)
        worker.start()
        ticker = threading.Thread(target=self._tick, name="lml-ticker", daemon=True)
        ticker.start()
        log.info("worker_started", threads=self.threads, actors=sorted(self.actors))

        def stop(signum: int, _: Any) -> None:
            log.info("worker_stopping", signal=signum)
            self._stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self._stop.wait()
        ticker.join(timeout=2)
        # Graceful: messages in flight finish before the workers stop.
        worker.stop(timeout=30_000)
        log.info("worker_stopped")


def run_worker(settings: Settings | None = None) -> None:
    settings = settings or Settings.from_env()
    configure_logging(settings)
    Worker(settings).run()
