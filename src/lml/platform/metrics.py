"""Prometheus exposition for the two kinds of process.

The API (`lml serve`) may run several server processes: each writes its metrics to files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode), and whichever process answers
`/metrics` reads them all, so that one scrape shows the whole API. `lml serve` points the variable at
a directory emptied at its start (src/lml/cli.py). A process without the variable (the worker, the
tests' in-process app) exposes its own registry.

The worker serves its own `/metrics` on LML_WORKER_METRICS_PORT (`serve_metrics`): its counters, and
the backlog read from the stores at scrape time (`lml.platform.backlog`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import start_wsgi_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def latest() -> tuple[bytes, str]:
    """The exposition of this process, or of every API process in multiprocess mode; its media type."""
    if directory := os.environ.get(MULTIPROC_DIR_VARIABLE):
        _forget_ended_processes(Path(directory))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def _forget_ended_processes(directory: Path) -> None:
    """Gauges of what is live (streams open, pool use) count the live processes only: a server process
    that ended (a reload, SIGHUP, replaces them all) leaves its files behind. Its counters stay."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, as another user


class _Together(Collector):
    """The process's registry and collectors of its own, exposed as one."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = [REGISTRY, *collectors]

    def collect(self) -> Iterable[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def serve_metrics(host: str, port: int, collectors: Iterable[Collector] = ()) -> Callable[[], None]:
    """`/metrics` (any path, in fact) on `host:port` in a thread of its own; returns what stops it."""
    server, thread = start_wsgi_server(port, addr=host, registry=_Together(collectors))

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop

