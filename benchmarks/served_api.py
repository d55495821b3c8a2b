"""What the benchmarks that go over HTTP share: a throwaway world like the tests' (new database, claimed
Redis index, nx-27017), the API served by `lml serve` (granian) in a process of its own, and what each
process spent (CPU seconds from /proc, Redis' own INFO)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from tests import services

from lml.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# The settings the served API reads from LML_* variables (the rest keep their defaults).
SERVED_SETTINGS = ("database_url", "migrate_database_url", "redis_url", "mongo_url", "mongo_database", "log_level",
                   "db_pool_min", "db_pool_max")


def fresh_settings(stack: ExitStack, **overrides: Any) -> Settings:
    """Settings over a new database, a claimed Redis index and nx-27017, all gone when `stack` closes."""
    owner_dsn = os.environ.get("LML_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    work = stack.enter_context(services.workdir())
    owner, app_dsn = stack.enter_context(services.postgres_database(owner_dsn))
    mongo_url = stack.enter_context(services.mongo_server(work))
    redis_url = stack.enter_context(services.redis_database(os.environ.get("LML_TEST_REDIS_URL",
                                                                           "redis://127.0.0.1:6379")))
    return Settings(**{"database_url": app_dsn, "migrate_database_url": owner, "redis_url": redis_url,
                       "mongo_url": mongo_url, "mongo_database": "lml_bench", "log_level": "warning",
                       "db_pool_min": 1, "db_pool_max": 10, **overrides})


def api_env(settings: Settings, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a process reading `settings` from LML_* variables (`extra`: more of them)."""
    env = dict(os.environ)
    for name in SERVED_SETTINGS:
        env[f"LML_{name.upper()}"] = str(getattr(settings, name))
    env.update(LML_HOST="127.0.0.1", LML_PORT=str(port), LML_LOG_FORMAT="json")
    # The load generator on this machine stands for buyers on as many networks: no general limit per
    # client address (each buyer's own token still has its budget).
    env.update(LML_RATE_LIMIT_ADDRESS_BURST="10000000", LML_RATE_LIMIT_ADDRESS_PER_SECOND="1000000")
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class ServedApi:
    base: str
    process: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The server's process and its workers."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                                  text=True).stdout.split()
        return [self.process.pid, *map(int, children)]


def _wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"lml serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(base + "/livez", timeout=1) as answer:  # noqa: S310 - our own server
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("lml serve did not answer /livez in time")


@contextmanager
def serve_api(settings: Settings, *, workers: int, log: Path, extra_env: Mapping[str, str] | None = None
              ) -> Iterator[ServedApi]:
    """`lml serve --workers N` on a free port, ready (it answers /livez); stopped on exit."""
    port = services.free_port()
    with open(log, "wb") as output:
        server = subprocess.Popen([str(Path(sys.executable).parent / "lml"), "serve", "--workers", str(workers)],
                                  env=api_env(settings, port, extra_env), stdout=output, stderr=subprocess.STDOUT,
                                  cwd=ROOT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, server)
            yield ServedApi(base, server)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def redis_cpu_seconds(settings: Settings) -> float:
    """The Redis server's CPU time so far (all its clients': other runs on the same server count too)."""
    client = redis.Redis.from_url(settings.redis_url)
    try:
        info = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
