"""Round trips of one benchmarked process to PostgreSQL and Redis, counted from the inside.

A process started with this directory on `PYTHONPATH` and `LML_BENCH_PROBE_DIR` set imports this
module at start-up (Python's `sitecustomize` hook): it counts the statements psycopg sends (each a
round trip, `BEGIN` and `COMMIT` included, by the SQL's first words) and the commands and round trips
redis-py sends (a pipeline is one round trip), and writes the counts to `<dir>/<pid>.json` twice a
second. Granian's worker processes import it too. Only the benchmarks start processes this way; the
product itself carries no counter.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

_DIR = os.environ.get("LML_BENCH_PROBE_DIR")
_counts: collections.Counter[str] = collections.Counter()
_writer_pid = 0


_keys: dict[Any, str] = {}


def _statement(query: Any, conn: Any) -> str:
    """The statement's first 90 characters, whitespace folded: its key in the counts (kept per
    query text, so that counting costs a look-up)."""
    if not isinstance(query, (str, bytes)):  # composed SQL (unhashable)
        return "pg " + " ".join(query.as_string(conn).split())[:90]
    if (key := _keys.get(query)) is None:
        text = query.decode(errors="replace") if isinstance(query, bytes) else query
        key = _keys[query] = "pg " + " ".join(text.split())[:90]
    return key


def _write_forever(path: Path) -> None:
    while True:
        time.sleep(0.5)
        path.write_text(json.dumps(dict(_counts)))


def _count(key: str) -> None:
    global _writer_pid
    _counts[key] += 1
    if _writer_pid != os.getpid() and _DIR:  # a forked worker starts its own writer
        _writer_pid = os.getpid()
        threading.Thread(target=_write_forever, args=(Path(_DIR) / f"{_writer_pid}.json",), daemon=True).start()


def _install() -> None:
    import psycopg
    import redis.asyncio.connection as redis_connection
    from psycopg import _connection_base

    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany
    exec_command = _connection_base.BaseConnection._exec_command

    async def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        _count(_statement(query, self.connection))
        return await execute(self, query, *args, **kwargs)

    async def counted_executemany(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        _count(_statement(query, self.connection))
        return await executemany(self, query, *args, **kwargs)

    def counted_exec_command(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        _count(_statement(command, self))
        return exec_command(self, command, *args, **kwargs)

    psycopg.AsyncCursor.execute = counted_execute  # type: ignore[method-assign]
    psycopg.AsyncCursor.executemany = counted_executemany  # type: ignore[method-assign]
    _connection_base.BaseConnection._exec_command = counted_exec_command  # type: ignore[method-assign]

    connection = redis_connection.AbstractConnection
    send = connection.send_packed_command

    async def counted_send(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        _count("redis round trip")
        packed = command if isinstance(command, (bytes, bytearray, memoryview)) else b"".join(command)
        for name in _command_names(bytes(packed)):
            _count("redis " + name.upper())
        return await send(self, command, *args, **kwargs)

    # Counted from what goes on the wire, whoever packed it (lml's connection packs commands itself).
    connection.send_packed_command = counted_send  # type: ignore[method-assign]


def _command_names(packed: bytes) -> list[str]:
    """The name of each command in `packed` (RESP arrays of bulk strings, back to back)."""
    names, at = [], 0
    while at < len(packed) and packed[at:at + 1] == b"*":
        end = packed.index(b"\r\n", at)
        count, at = int(packed[at + 1:end]), end + 2
        for i in range(count):
            end = packed.index(b"\r\n", at)
            length, at = int(packed[at + 1:end]), end + 2
            if i == 0:
                names.append(packed[at:at + length].decode(errors="replace").split(" ")[0])
            at += length + 2
    return names

if _DIR:
    _install()
