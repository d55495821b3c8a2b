"""The plans PostgreSQL ran for a benchmark's statements, as `EXPLAIN (ANALYZE, BUFFERS)` shows them.

`log_plans(owner_dsn)` makes every new session of that database load auto_explain and log each
statement's plan with its actual rows, timing and buffers (the server log must be readable here:
`LML_BENCH_PG_LOG`, by default Debian's /var/log/postgresql/postgresql-15-main.log). After the run,
`plans(owner_dsn, since)` reads back the plans of that database's statements, one per statement text
(the last one run), with how many times it ran and its mean duration. auto_explain's own timing slows
every statement: a run that logs plans is for the plans, not for its figures.
"""

from __future__ import annotations

import collections
import os
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.conninfo
import psycopg.sql

LOG = Path(os.environ.get("LML_BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
_ENTRY = re.compile(r"^\S+ \S+ \S+ \[\d+\] \S*@(?P<db>\S+) LOG:  duration: (?P<ms>[\d.]+) ms  plan:$")


@dataclass
class Plan:
    query: str
    runs: int
    mean_ms: float
    plan: list[str]


def log_offset() -> int:
    return LOG.stat().st_size


def log_plans(owner_dsn: str) -> None:
    """Every session opened from now on in the database of `owner_dsn` logs its statements' plans."""
    name = psycopg.conninfo.conninfo_to_dict(owner_dsn)["dbname"]
    settings = {"session_preload_libraries": "auto_explain", "auto_explain.log_min_duration": "0",
                "auto_explain.log_analyze": "on", "auto_explain.log_buffers": "on",
                "auto_explain.log_nested_statements": "on"}
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        for setting, value in settings.items():
            conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                psycopg.sql.Identifier(str(name)), psycopg.sql.Identifier(*setting.split(".")),
                psycopg.sql.Literal(value)))


def plans(owner_dsn: str, since: int) -> list[Plan]:
    """The plans logged for the database of `owner_dsn` after offset `since` of the server log, the
    most run statement first."""
    name = psycopg.conninfo.conninfo_to_dict(owner_dsn)["dbname"]
    runs: collections.Counter[str] = collections.Counter()
    total_ms: collections.Counter[str] = collections.Counter()
    last: dict[str, list[str]] = {}
    entry: list[str] | None = None
    duration = 0.0

    def close() -> None:
        # "Query Text: " and the statement (its own lines too), then the plan from its first node on.
        if entry and entry[0].startswith("Query Text:"):
            first_node = next((i for i, text in enumerate(entry) if "(cost=" in text), len(entry))
            query = " ".join(" ".join(entry[:first_node]).removeprefix("Query Text:").split())
            runs[query] += 1
            total_ms[query] += duration
            last[query] = entry[first_node:]

    with LOG.open(errors="replace") as log:
        log.seek(since)
        for line in log:
            if line.startswith("\t"):
                if entry is not None:
                    entry.append(line[1:].rstrip())
                continue
            close()
            entry = None
            found = _ENTRY.match(line.rstrip())
            if found and found["db"] == name:
                entry, duration = [], float(found["ms"])
        close()
    return [Plan(query, n, total_ms[query] / n, last[query]) for query, n in runs.most_common()]
