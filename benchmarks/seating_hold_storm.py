"""A hold storm on one show, over HTTP, against `lml serve` (granian) and a real Redis.

    .venv/bin/python -m benchmarks.seating_hold_storm                       # 20,000 seats, 64 connections, 10 s
    .venv/bin/python -m benchmarks.seating_hold_storm --workers 2 --connections 64 --duration 10 --seats 20000

What it does, on a throwaway world like the tests' (new database, claimed Redis index, nx-27017):
  1. puts a show of `--seats` seats on sale (max 8 seats per buyer, 10-minute holds) and signs
     `--buyers` guest tokens;
  2. starts `lml serve --workers N` on a free port and waits for /livez (benchmarks.served_api);
  3. runs wrk on GET /livez: the framework's ceiling on this machine, same app, same server;
  4. runs wrk with benchmarks/seating_hold_storm.lua: every request a random buyer asking for a block
     of `--per-hold` adjacent seats at a random place, so asks overlap more and more as the show fills;
  5. runs the same storm on a second, identical show with best-available requests instead (each buyer
     asks for the best `--per-hold` seats together; the server picks them), until the show is sold out
     for such a block (wrk's threads stop at their first 409) or `--duration` ends;
  6. checks for each show that no seat is held twice: every live hold's seats from Redis, the seat →
     hold map, and as many holds as 201 answers (give or take the requests whose answer wrk did not see
     as a 201: in flight at the end, timed out, 5xx);
  7. prints for each mode holds/s (201 and 409 apart), the share of 409s, the seats held, p50/p95/p99,
     the ratio to the ceiling, API and Redis CPU per request, the check, and the load average.

Needs `wrk` (apt-get install wrk). Reports only; it fails only when the double-hold check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from benchmarks.served_api import cpu_seconds, fresh_settings, redis_cpu_seconds, serve_api
from benchmarks.show_on_sale import show_on_sale

from lml.config import Settings
from lml.container import build_container
from lml.platform.domain.principal import Principal
from lml.platform.tokens import TokenCodec
from lml.seating.infrastructure.redis_holds import TABLE_FIELD, ShowKeys

HERE = Path(__file__).parent
SECTIONS = 20


async def _show_on_sale(settings: Settings, seats: int) -> tuple[str, list[str]]:
    container = build_container(settings)
    await container.open()
    try:
        await container.resources.db.pool.wait(timeout=10)
        show_id = await show_on_sale(container, seats=seats, sections=SECTIONS, front_sections=4,
                                     max_seats_per_buyer=8, title="Hold storm")
        async with container.resources.db.unit_of_work() as uow:
            rows = await (await uow.conn.execute(
                "SELECT seat_id FROM seating.show_seats WHERE show_id = %s", (show_id,))).fetchall()
        return show_id, sorted(r["seat_id"] for r in rows)
    finally:
        await container.close()


def wrk_is_missing() -> bool:
    """Whether the load generator is missing (said on stderr, with how to install it)."""
    if shutil.which("wrk") is not None:
        return False
    print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
    return True


def run_wrk(base: str, args: argparse.Namespace, script_args: list[str]) -> dict[str, Any]:
    """wrk with benchmarks/seating_hold_storm.lua (`script_args` after `--`): its result line, req/s and wrk's CPU."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "5s",
               "-s", str(HERE / "seating_hold_storm.lua"), base, "--", *script_args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    result["wrk_cpu_s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result


def _double_hold_check(settings: Settings, show_id: str, created: int, unanswered: int) -> dict[str, Any]:
    """Every live hold's seats from Redis: no seat in two holds, the seat → hold map agrees, and as many
    holds as 201 answers (holds live 10 minutes, far longer than the run), give or take the requests whose
    outcome wrk never saw as a 201 though the hold may have been placed: those still in flight when it
    stopped counting (at most one per connection), those it gave up on (its timeout) and those answered
    5xx (a store call that timed out in the API after Redis had run the script)."""
    keys = ShowKeys(settings.redis_key_prefix, show_id)
    client = redis.Redis.from_url(settings.redis_url)
    try:
        # Both in one MULTI: a request still in flight may place a hold between two separate reads.
        pipe = client.pipeline(transaction=True)
        pipe.hgetall(keys.keys[3])
        pipe.hgetall(keys.keys[2])
        holds, holder_raw = pipe.execute()
        holds.pop(TABLE_FIELD, None)
        holder = {k.decode(): v.decode() for k, v in holder_raw.items() if k != TABLE_FIELD}
    finally:
        client.close()
    owner_of_seat: dict[str, str] = {}
    doubles = 0
    for hold_id, raw in holds.items():
        for seat in json.loads(raw)["s"].split(","):
            if seat in owner_of_seat:
                doubles += 1
            owner_of_seat[seat] = hold_id.decode()
    mismatched = sum(1 for seat, hold_id in owner_of_seat.items() if holder.get(seat) != hold_id)
    return {"holds": len(holds), "created": created, "unanswered": unanswered, "seats_held": len(owner_of_seat),
            "doubles": doubles,
            "map_mismatches": mismatched, "ok": doubles == 0 and mismatched == 0
            and created <= len(holds) <= created + unanswered and len(holder) == len(owner_of_seat)}


def _mode(settings: Settings, base: str, args: argparse.Namespace, pids: list[int], ceiling: dict[str, Any],
          show_id: str, script_args: list[str]) -> dict[str, Any]:
    """One storm on one show, measured: throughput, 409s, latency, CPU per request, the check."""
    load = os.getloadavg()
    server_cpu, redis_cpu = cpu_seconds(pids), redis_cpu_seconds(settings)
    storm = run_wrk(base, args, script_args)
    server_cpu, redis_cpu = cpu_seconds(pids) - server_cpu, redis_cpu_seconds(settings) - redis_cpu
    load_after = os.getloadavg()
    statuses = {int(k): v for k, v in storm["statuses"].items()}
    failed = sum(n for status, n in statuses.items() if status >= 500)
    check = _double_hold_check(settings, show_id, statuses.get(201, 0),
                               args.connections + storm["socket_errors"] + failed)
    seconds = storm["seconds"]
    return {
        "seconds": round(seconds, 2),
        "hold_rps": round(storm["rps"]), "ratio_to_ceiling": round(storm["rps"] / ceiling["rps"], 3),
        "created_201_per_s": round(statuses.get(201, 0) / seconds),
        "conflict_409_per_s": round(statuses.get(409, 0) / seconds),
        "share_409": round(statuses.get(409, 0) / max(1, storm["requests"]), 3),
        "seats_held": check["seats_held"], "share_of_seats_held": round(check["seats_held"] / args.seats, 3),
        "other_statuses": {s: n for s, n in statuses.items() if s not in (201, 409)},
        "p50_ms": storm["p50_us"] / 1000, "p95_ms": storm["p95_us"] / 1000, "p99_ms": storm["p99_us"] / 1000,
        "max_ms": storm["max_us"] / 1000, "socket_errors": storm["socket_errors"],
        # CPU per hold request: what the run cost, whatever else the machine was doing meanwhile
        # (Redis' figure includes other clients of the same server, if any were busy).
        "cpu_ms_per_request": {"api": round(server_cpu * 1000 / storm["requests"], 3),
                               "redis": round(redis_cpu * 1000 / storm["requests"], 3),
                               "wrk": round(storm["wrk_cpu_s"] * 1000 / storm["requests"], 3)},
        "double_hold_check": check,
        "load_average_before": [round(x, 2) for x in load], "load_average_after": [round(x, 2) for x in load_after],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seats", type=int, default=20_000)
    parser.add_argument("--per-hold", type=int, default=2)
    parser.add_argument("--buyers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    args = parser.parse_args(argv)
    if wrk_is_missing():
        return 2
    with ExitStack() as stack:
        settings = fresh_settings(stack)
        show_id, seat_ids = asyncio.run(_show_on_sale(settings, args.seats))
        best_show_id, _ = asyncio.run(_show_on_sale(settings, args.seats))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lml-storm-")))
        codec = TokenCodec(settings)  # signs as the API will verify: the same settings
        now = datetime.now(UTC)
        tokens = [codec.issue(Principal(str(uuid.uuid4()), "guest", frozenset({"buyer"})), now, 3600)
                  for _ in range(args.buyers)]
        (work / "tokens.txt").write_text("\n".join(tokens) + "\n")
        (work / "seats.txt").write_text("\n".join(seat_ids) + "\n")
        # wrk on this machine stands for buyers on as many networks: no cap per client address.
        with serve_api(settings, workers=args.workers, log=work / "server.log",
                       extra_env={"LML_MAX_HELD_PER_ADDRESS": "10000000"}) as api:
            base = api.base
            # Warm each worker: the shows' inventories into Redis, their rules into the cache.
            for _ in range(4 * args.workers):
                for show in (show_id, best_show_id):
                    urllib.request.urlopen(f"{base}/v1/shows/{show}/availability", timeout=10).read()  # noqa: S310
            ceiling = run_wrk(base, args, ["ceiling"])
            pids = api.pids()
            tokens = str(work / "tokens.txt")
            explicit = _mode(settings, base, args, pids, ceiling, show_id,
                             [tokens, str(work / "seats.txt"), show_id, str(args.per_hold)])
            best = _mode(settings, base, args, pids, ceiling, best_show_id,
                         [tokens, "best", best_show_id, str(args.per_hold)])
        report = {
            "seats": args.seats, "per_hold": args.per_hold, "buyers": args.buyers, "workers": args.workers,
            "connections": args.connections, "duration_s": args.duration,
            "ceiling_rps": round(ceiling["rps"]), "ceiling_p99_ms": ceiling["p99_us"] / 1000,
            "explicit_seats": explicit, "best_available": best,
        }
        print(json.dumps(report, indent=2))
        return 0 if explicit["double_hold_check"]["ok"] and best["double_hold_check"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
