"""Where a benchmark's CPU and round trips went, process by process, from /proc and the stores.

Before and after the measured phase, `Accounting.snapshot()` reads each process's user + system CPU
time (/proc/<pid>/stat): the API (the server and its workers), the worker, the PostgreSQL backends
connected to the run's own database (from `pg_stat_activity`; a backend that started during the phase
counts whole), redis-server (its own INFO: the server is shared, so other clients' work counts too),
the Stripe emulator and the load generator (this process). The API and the worker run with
`benchmarks/probe` on their `PYTHONPATH` (`probe_env`), which counts their statements to PostgreSQL and
their commands and round trips to Redis; `Accounting.report()` divides the differences by a count
(paid orders).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from benchmarks.served_api import cpu_seconds, redis_cpu_seconds

from lml.config import Settings

PROBE = Path(__file__).resolve().parent / "probe"


def probe_env(directory: Path) -> dict[str, str]:
    """The environment variables that make a process count its round trips into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(PROBE), os.environ.get("PYTHONPATH")])),
            "LML_BENCH_PROBE_DIR": str(directory)}


def probe_counts(directory: Path) -> collections.Counter[str]:
    """The round trips counted so far by every process writing into `directory`."""
    total: collections.Counter[str] = collections.Counter()
    for path in directory.glob("*.json"):
        try:
            total.update(json.loads(path.read_text()))
        except (OSError, ValueError):  # being rewritten: the next snapshot reads it
            continue
    return total


def pgrep(pattern: str) -> list[int]:
    return [int(pid) for pid in subprocess.run(["pgrep", "-f", pattern], capture_output=True,
                                               text=True).stdout.split()]


def _pg_backends(owner_dsn: str) -> dict[int, float]:
    """CPU seconds of each backend connected to the database of `owner_dsn` (this query's own excluded)."""
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return {pid: cpu_seconds([pid]) for pid in pids}


@dataclass
class Snapshot:
    cpu: dict[str, float]
    pg_backends: dict[int, float]
    round_trips: dict[str, collections.Counter[str]]


@dataclass
class Accounting:
    settings: Settings
    pids: dict[str, Callable[[], list[int]]]  # role -> its processes now
    probes: dict[str, Path]  # role -> its probe directory

    def snapshot(self) -> Snapshot:
        cpu = {role: cpu_seconds(pids()) for role, pids in self.pids.items()}
        cpu["redis-server (whole server)"] = redis_cpu_seconds(self.settings)
        return Snapshot(cpu, _pg_backends(self.settings.migrate_database_url),
                        {role: probe_counts(directory) for role, directory in self.probes.items()})

    def report(self, before: Snapshot, after: Snapshot, per: int, *, top: int = 60) -> dict[str, Any]:
        """CPU ms and round trips per unit (`per`: paid orders) between two snapshots."""
        cpu = {role: after.cpu[role] - before.cpu[role] for role in after.cpu}
        cpu["postgresql (the run's backends)"] = sum(
            seconds - before.pg_backends.get(pid, 0.0) for pid, seconds in after.pg_backends.items())
        per = max(per, 1)
        report: dict[str, Any] = {
            "cpu_ms_per_order": {role: round(seconds * 1000 / per, 2) for role, seconds in cpu.items()},
            "cpu_s": {role: round(seconds, 1) for role, seconds in cpu.items()},
        }
        own = ("api", "worker")
        report["cpu_ms_per_order"]["api + worker"] = round(sum(cpu[r] for r in own if r in cpu) * 1000 / per, 2)
        for role in after.round_trips:
            diff = after.round_trips[role] - before.round_trips[role]
            pg = sum(n for key, n in diff.items() if key.startswith("pg "))
            report[f"{role}_per_order"] = {
                "pg_statements": round(pg / per, 2),
                "pg_transactions": round(sum(n for key, n in diff.items() if key.startswith("pg BEGIN")) / per, 2),
                "redis_round_trips": round(diff["redis round trip"] / per, 2),
                "redis_commands": round(sum(n for key, n in diff.items() if key.startswith("redis ")
                                            and key != "redis round trip") / per, 2),
                "by_statement": {key: round(n / per, 2) for key, n in diff.most_common(top)},
            }
        return report

