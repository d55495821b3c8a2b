"""The backlog, read from the stores when Prometheus scrapes the worker: work waiting (outbox, Stripe
inbox, messages, waiting rooms), how old the oldest is, and what gave up (dead letters).

Each context offers a probe of its own backlog (cheap indexed queries); the worker's composition root
hands them to one `BacklogCollector`. Read at scrape time in one process, the figures are neither
stale nor multiplied by the API's processes. A scrape waits `timeout` seconds at most, and scrapes
within `cache_seconds` of the last read share it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future
from datetime import datetime

import msgspec
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lml.platform.logging import get_logger

log = get_logger("lml.backlog")


class Figure(msgspec.Struct, frozen=True):
    """One gauge's value: `name` (lml_...), its help text, and a value per label set."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = {}


def queue_figures(queue: str, what: str, *, pending: int, oldest: datetime | None, dead: int | None,
                  now: datetime) -> list[Figure]:
    """A work queue's figures, named alike for every queue: `lml_<queue>_pending`,
    `lml_<queue>_oldest_pending_age_seconds` (0 when none waits) and `lml_<queue>_dead`."""
    figures = [
        Figure(f"lml_{queue}_pending", f"{what.capitalize()} waiting to be handled (retries included)", pending),
        Figure(f"lml_{queue}_oldest_pending_age_seconds", f"Age of the oldest of the {what} waiting",
               max(0.0, (now - oldest).total_seconds()) if oldest else 0.0),
    ]
    if dead is not None:
        figures.append(Figure(f"lml_{queue}_dead", f"{what.capitalize()} that gave up (dead letters)", dead))
    return figures


Probe = Callable[[], Awaitable[list[Figure]]]
# Runs a probe's coroutine on the process's event loop, from the scraping thread.
RunOnLoop = Callable[[Awaitable[list[Figure]]], "Future[list[Figure]]"]


def on_loop(loop: asyncio.AbstractEventLoop) -> RunOnLoop:
    def run(coro: Awaitable[list[Figure]]) -> Future[list[Figure]]:
        async def awaited() -> list[Figure]:
            return await coro

        return asyncio.run_coroutine_threadsafe(awaited(), loop)

    return run


class BacklogCollector(Collector):
    def __init__(self, probes: Sequence[Probe], run: RunOnLoop, *, cache_seconds: float = 5.0,
                 timeout: float = 3.0) -> None:
        self._probes = probes
        self._run = run
        self._cache_seconds = cache_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._figures: list[Figure] = []
        self._up = 0.0

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._read_at >= self._cache_seconds:
                self._read()
            figures, up = self._figures, self._up
        families: dict[str, GaugeMetricFamily] = {}
        for figure in figures:
            family = families.get(figure.name)
            if family is None:
                family = families[figure.name] = GaugeMetricFamily(figure.name, figure.help,
                                                                   labels=sorted(figure.labels))
            family.add_metric([figure.labels[k] for k in sorted(figure.labels)], figure.value)
        yield from families.values()
        yield GaugeMetricFamily("lml_backlog_up", "1 when the last read of the backlog succeeded", value=up)

    def _read(self) -> None:
        futures = [self._run(probe()) for probe in self._probes]
        figures: list[Figure] = []
        up = 1.0
        deadline = time.monotonic() + self._timeout
        for future in futures:
            try:
                figures.extend(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except Exception as exc:  # noqa: BLE001 - a failed probe is reported by lml_backlog_up
                future.cancel()
                up = 0.0
                log.warning("backlog_probe_failed", error=type(exc).__name__)
        self._figures, self._up, self._read_at = figures, up, time.monotonic()
