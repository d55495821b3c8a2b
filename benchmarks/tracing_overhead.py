"""What tracing costs a request, in this process (no server, no network, no collector):

    .venv/bin/python -m benchmarks.tracing_overhead [--requests 5000]

1. each tracing helper's cost per call with traces off (no endpoint: no tracer installed) and on (an
   SDK tracer provider, spans dropped at their end);
2. `GET /livez` through the whole served app (ASGI over httpx, in process), traces off and on (an
   SDK provider, spans dropped at their end: the server span and the log processors' look-ups,
   without the export), alternated `--rounds` times; the best round of each.

Reports only. Figures move with the machine's load (printed): compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import timeit
from collections.abc import Callable

import httpx
from opentelemetry.sdk.trace import TracerProvider

from lml.app import create_app
from lml.config import Settings
from lml.platform.tracing.spans import child_span, current_ids, current_traceparent, span, trace_with


def _ns_per_call(fn: Callable[[], object], number: int) -> float:
    return round(min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e9)


def _helpers() -> dict[str, float]:
    def a_child_span() -> None:
        with child_span("SELECT"):
            pass

    def a_request_with_two_store_calls() -> None:
        with span("POST /v1/shows/{show_id}/holds"):
            with child_span("EVALSHA"):
                pass
            with child_span("SELECT"):
                pass

    trace_with(None)
    off = {"off: child_span": _ns_per_call(a_child_span, 100_000),
           "off: current_traceparent": _ns_per_call(current_traceparent, 100_000),
           "off: current_ids (each log line)": _ns_per_call(current_ids, 100_000),
           "off: a span with two store spans": _ns_per_call(a_request_with_two_store_calls, 100_000)}
    trace_with(TracerProvider())
    on = {"on: a span with two store spans": _ns_per_call(a_request_with_two_store_calls, 10_000)}
    trace_with(None)
    return {**off, **on}


async def _livez_us(requests: int) -> float:
    app = create_app(Settings(log_level="warning"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(200):  # warm-up
            await client.get("/livez")
        started = time.perf_counter()
        for _ in range(requests):
            await client.get("/livez")
        return round((time.perf_counter() - started) / requests * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    helpers = _helpers()
    rounds: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.rounds):
        for mode, provider in (("off", None), ("on", TracerProvider())):
            trace_with(provider)
            rounds[mode].append(asyncio.run(_livez_us(args.requests)))
    trace_with(None)
    livez = {mode: min(figures) for mode, figures in rounds.items()}
    livez["on / off"] = round(livez["on"] / livez["off"], 3)
    print(json.dumps({"helper_ns_per_call": helpers, "livez_us_per_request": livez, "rounds": rounds,
                      "load_average_before": load_before, "load_average_after": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
