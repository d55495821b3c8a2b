"""Real services for the test run: a fresh PostgreSQL database, an isolated Redis index,
an nx-27017 MongoDB wire server and a localstripe Stripe emulator, each on a free port; and, for the
tests that run against one, a Redis Cluster of three masters of its own."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.conninfo
import psycopg.sql
import redis

from lml.platform import migrations

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


class ServerProcess:
    """A server of the run on a port of its own, which a fault drill may kill and start again on the same
    port with the same files (its log grows across restarts)."""

    def __init__(self, cmd: list[str], port: int, what: str, cwd: str) -> None:
        self.cmd, self.port, self.what, self.cwd = cmd, port, what, cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(Path(self.cwd) / f"{self.what}.log", "ab") as log:
            self.process = subprocess.Popen(self.cmd, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.what)

    def kill(self) -> None:
        """SIGKILL: gone at once, nothing flushed or handed over."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def background(cmd: list[str], port: int, what: str, cwd: str) -> Iterator[ServerProcess]:
    server = ServerProcess(cmd, port, what, cwd)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def mongo_server(workdir: str) -> Iterator[str]:
    if url := os.environ.get("LML_TEST_MONGO_URL"):
        yield url
        return
    port = free_port()
    cmd = [str(BIN / "nx-27017"), "--db", "memory", "--port", str(port),
           "--log-file", f"{workdir}/nx.log", "--pid-file", f"{workdir}/nx.pid"]
    with background(cmd, port, "nx-27017", workdir):
        yield f"mongodb://127.0.0.1:{port}"


@contextmanager
def stripe_emulator(workdir: str) -> Iterator[str]:
    port = free_port()
    launcher = Path(__file__).resolve().parents[1] / "ops" / "localstripe_in_memory.py"
    with background([sys.executable, str(launcher), "--port", str(port)], port, "localstripe", workdir):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def postgres_database(owner_dsn: str) -> Iterator[tuple[str, str]]:
    """A new database migrated from scratch; yields (owner dsn, application dsn); dropped afterwards."""
    name = f"lml_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.conninfo.make_conninfo(owner_dsn, dbname="postgres")
    owner = psycopg.conninfo.make_conninfo(owner_dsn, dbname=name)
    app = psycopg.conninfo.make_conninfo(owner_dsn, dbname=name, user="lml_app")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            # The test processes of one run (pytest -n) migrate their databases at the same moment, and
            # the first migration creates the server-wide `lml_app` role when it is missing: one at a
            # time, or two both find it missing on a fresh server. Locked in the database all connect to.
            conn.execute("SELECT pg_advisory_lock(hashtext('lml-test-migrations'))")
            migrations.migrate(owner, report=lambda _: None)
        yield owner, app
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            drop = psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(psycopg.sql.Identifier(name)))


@contextmanager
def redis_database(url: str) -> Iterator[str]:
    """A Redis database index claimed for this run alone (test runs may overlap on one machine)."""
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    claims = redis.Redis.from_url(f"{base}/0")
    token = uuid.uuid4().hex
    try:
        for index in range(1, 16):
            if claims.set(f"lml:test-run:db:{index}", token, nx=True, ex=3600):
                break
        else:
            raise RuntimeError("every Redis database index is claimed by another test run")
        yield f"{base}/{index}"
    finally:
        if claims.get(f"lml:test-run:db:{index}") == token.encode():
            claims.delete(f"lml:test-run:db:{index}")
        claims.close()


CLUSTER_MASTERS = 3


@dataclass(frozen=True)
class RedisClusterNodes:
    """A run's Redis Cluster: `url` names one node (a cluster client finds the others); `nodes` by port."""

    url: str
    nodes: dict[int, ServerProcess]

    def restart_empty(self, port: int) -> None:
        """Start a killed master again on its port: with nothing saved it comes back empty, and with its
        nodes.conf it rejoins as the master of the same slots."""
        self.nodes[port].start()


@contextmanager
def redis_cluster(workdir: str, *, node_timeout_ms: int = 15_000, full_coverage: bool = True
                  ) -> Iterator[RedisClusterNodes]:
    """A Redis Cluster of three masters (no replicas) on free ports, its files in `workdir`. The run's
    own: nothing else writes to it. Redis' defaults, unless a drill asks for a master to be declared
    failed sooner (`node_timeout_ms`) and the others to keep serving their slots meanwhile
    (`full_coverage=False`)."""
    ports: list[int] = []
    while len(ports) < CLUSTER_MASTERS:
        if (port := _cluster_port()) not in ports:
            ports.append(port)
    with ExitStack() as stack:
        nodes = {}
        for port in ports:
            folder = Path(workdir) / f"redis-cluster-{port}"
            folder.mkdir()
            cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                   "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", str(node_timeout_ms),
                   "--cluster-require-full-coverage", "yes" if full_coverage else "no",
                   "--save", "", "--appendonly", "no", "--dir", str(folder)]
            nodes[port] = stack.enter_context(background(cmd, port, f"redis-cluster-{port}", workdir))
        subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )
        _wait_for_cluster(ports)
        yield RedisClusterNodes(f"redis://127.0.0.1:{ports[0]}", nodes)


def _cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it) is free too, and exists."""
    while True:
        with socket.socket() as s, socket.socket() as bus:
            port = random.randrange(20_000, 55_000)
            try:
                s.bind(("127.0.0.1", port))
                bus.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
            return port


def _wait_for_cluster(ports: list[int], timeout: float = 30) -> None:
    """Until every node sees every slot served (the nodes learn of each other over their bus)."""
    deadline = time.monotonic() + timeout
    clients = [redis.Redis(port=port) for port in ports]
    try:
        while time.monotonic() < deadline:
            states = [client.cluster("info")["cluster_state"] for client in clients]
            if all(state == "ok" for state in states):
                return
            time.sleep(0.05)
    finally:
        for client in clients:
            client.close()
    raise RuntimeError(f"the Redis Cluster on {ports} was not ready within {timeout}s")


@contextmanager
def workdir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="lml-test-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def pgbouncer(dsn: str, workdir: str, *, pool_size: int) -> Iterator[str]:
    """Debian's PgBouncer in transaction pooling mode in front of `dsn`'s server; yields `dsn` through it.

    Few server connections (`pool_size` per database and user), so that clients take turns on them
    and whatever one transaction left on a server connection would reach another client's."""
    with pgbouncer_server(dsn, workdir, pool_size=pool_size) as (pooled, _):
        yield pooled


@contextmanager
def pgbouncer_server(dsn: str, workdir: str, *, pool_size: int) -> Iterator[tuple[str, ServerProcess]]:
    """As `pgbouncer`, and its process too (a drill restarts it on its port)."""
    binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    assert binary, "PgBouncer is missing: ops/test installs Debian's `pgbouncer` (apt-get install pgbouncer)"
    server = psycopg.conninfo.conninfo_to_dict(dsn)
    port = free_port()
    config = Path(workdir) / "pgbouncer.ini"
    users = Path(workdir) / "pgbouncer-users.txt"
    users.write_text("".join(f'"{user}" ""\n' for user in ("lml_app", "postgres")))
    config.write_text(PGBOUNCER_INI.format(
        server_host=server.get("host", "127.0.0.1"), server_port=server.get("port", 5432), port=port,
        users=users, pool_size=pool_size,
    ))
    # PgBouncer refuses to run as root; it reads its files first, then drops to `nobody`.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with background([binary, *as_user, str(config)], port, "pgbouncer", workdir) as process:
        yield psycopg.conninfo.make_conninfo(dsn, host="127.0.0.1", port=port), process


# Transaction pooling, as in production; `auth_type = trust` since the server behind trusts loopback.
# PgBouncer 1.18 (Debian 12) has no `max_prepared_statements`: the application runs without server-side
# prepared statements here (LML_DB_PREPARED_STATEMENTS=false), and sends no `options` startup parameter.
PGBOUNCER_INI = """\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
"""
