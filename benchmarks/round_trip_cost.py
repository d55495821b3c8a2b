"""What a round trip costs the calling process on this machine, below any of LML's own code: one to
PostgreSQL, one to Redis, and one HTTP request through granian's two Python interfaces.

    .venv/bin/python -m benchmarks.round_trip_cost                    # 3,000 round trips each, wrk for 8 s

On a throwaway world like the tests' (new database, claimed Redis index), on uvloop as `lml serve`:
- PostgreSQL: `SELECT 1` on one connection, one statement per round trip, then three statements in one
  round trip (`lml.platform.db.execute_together`, as the API batches a transaction's statements);
- Redis: `GET` through the API's own client (`lml.platform.redis.create_redis`), one call at a time;
- HTTP: granian (2 workers, uvloop) serving the smallest app there is, as ASGI and as RSGI: a POST of a
  hold's size read whole, a small JSON answer, with wrk at 64 connections; CPU of the server processes.

Prints one JSON report: CPU microseconds of the calling process (or the server's) per round trip or
request, and the load average. The figures tell what fewer round trips save on this machine, and what
granian's RSGI interface (one call for an answer, where ASGI takes two and a future each) would save
a request before any framework. Reports only; compare figures within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import uvloop
from benchmarks.seating_hold_storm import wrk_is_missing
from benchmarks.served_api import cpu_seconds, fresh_settings
from tests import services

from lml.config import Settings
from lml.platform.db import execute_together
from lml.platform.redis import create_redis

_ANSWER = b'{"hold_id":"h","seat_ids":["s1","s2"]}'
_POST = """wrk.method = "POST"
wrk.body = '{"seat_ids":["0b7d1c2e-8a4f-4c55-9d1e-3f2a6b7c8d9e","1c8e2d3f-9b5a-4d66-ae2f-4a3b7c8d9e0f"]}'
wrk.headers["Content-Type"] = "application/json"
"""


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The smallest ASGI app: reads the body whole, answers a small JSON."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = scope["method"] == "POST"
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": _ANSWER})


class RsgiApp:
    """The same app on granian's RSGI interface: the body in one call, the answer in one more."""

    async def __call__(self, scope: Any, protocol: Any) -> None:
        if scope.method == "POST":
            await protocol()
        protocol.response_bytes(200, [("content-type", "application/json")], _ANSWER)


rsgi_app = RsgiApp()


def _cpu_us(start: float, count: int) -> float:
    return round((time.process_time() - start) / count * 1e6, 1)


async def _stores(settings: Settings, count: int) -> dict[str, float]:
    report = {}
    conn = await psycopg.AsyncConnection.connect(settings.database_url, autocommit=True)
    try:
        start = time.process_time()
        for _ in range(count):
            await conn.execute("SELECT 1")
        report["postgresql_round_trip_us"] = _cpu_us(start, count)
        start = time.process_time()
        for _ in range(count):
            await execute_together(conn, ["SELECT 1", "SELECT 2", "SELECT 3"], ())
        report["postgresql_three_statements_in_one_round_trip_us"] = _cpu_us(start, count)
    finally:
        await conn.close()
    client = create_redis(settings)
    try:
        await client.set("round-trip-cost", b"1")
        start = time.process_time()
        for _ in range(count):
            await client.get("round-trip-cost")
        report["redis_round_trip_us"] = _cpu_us(start, count)
    finally:
        await client.aclose()
    return report


def _wait_answering(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _served(interface: str, target: str, seconds: int, script: Path) -> dict[str, float]:
    port = services.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", interface, "--loop", "uvloop", "--workers", "2",
         "--no-ws", "--port", str(port), "--log-level", "warning", f"benchmarks.round_trip_cost:{target}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_answering(port)
        pids = [server.pid, *map(int, subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                      text=True).stdout.split())]
        before = cpu_seconds(pids)
        output = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", str(script),
                                 f"http://127.0.0.1:{port}/"], check=True, capture_output=True, text=True).stdout
        spent = cpu_seconds(pids) - before
        requests = int(next(line for line in output.splitlines() if "requests in" in line).split()[0])
        return {"requests_per_second": round(requests / seconds), "server_cpu_us": round(spent / requests * 1e6, 1)}
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the server and its workers: the app has nothing to finish
        server.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="round trips to each store")
    parser.add_argument("--seconds", type=int, default=8, help="wrk's run per interface")
    args = parser.parse_args(argv)
    if wrk_is_missing():
        return 2
    with ExitStack() as stack:
        settings = fresh_settings(stack)
        report: dict[str, Any] = uvloop.run(_stores(settings, args.count))
        script = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "post.lua"
        script.write_text(_POST)
        report["http_asgi"] = _served("asgi", "asgi_app", args.seconds, script)
        report["http_rsgi"] = _served("rsgi", "rsgi_app", args.seconds, script)
    report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
