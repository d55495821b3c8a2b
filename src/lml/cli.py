"""The `lml` command: serve, worker, migrate, create-admin, seed-demo."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lml.config import Settings, SettingsError

if TYPE_CHECKING:  # imported by each command that needs it: `lml migrate` loads no context
    from lml.container import Container

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Granian's own lines (start, stop, worker crashes) go through our logging like every other library's.
_GRANIAN_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"_granian": {"propagate": True}, "granian.access": {"propagate": True}},
}


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    from lml.platform.logging import configure_logging

    configure_logging(settings)
    given = os.environ.get(MULTIPROC_DIR_VARIABLE)
    metrics_dir = _empty_metrics_dir(Path(given) if given else Path(tempfile.mkdtemp(prefix="lml-metrics-")))
    try:
        # On SIGTERM granian stops accepting, lets the requests in flight finish (up to
        # `workers_kill_timeout`), runs the app's lifespan shutdown, then exits 0.
        Granian(
            "lml.app:create_served_app",
            factory=True,
            interface=Interfaces.ASGI,
            # libuv's event loop: measured a fifth to a quarter less API CPU per request (docs/benchmarks.md).
            loop=Loops.uvloop,
            address=settings.host,
            port=settings.port,
            workers=args.workers,
            log_access=False,
            log_dictconfig=_GRANIAN_LOGGING,
            workers_kill_timeout=30,
        ).serve()
    finally:
        if not given:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _empty_metrics_dir(path: Path) -> Path:
    """Every server process writes its metrics into one directory, and `/metrics` reads them all
    (lml.platform.metrics). Emptied (the files of a previous run would be counted again) and named in
    the environment before anything imports prometheus_client, which picks its mode at import."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_DIR_VARIABLE] = str(path)
    return path


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from lml.worker import run_worker

    run_worker(settings, threads=args.threads)


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    import psycopg

    from lml.platform import migrations

    try:
        if args.status:
            for item in migrations.status(settings.migrate_database_url):
                state = "changed" if item.changed else "applied" if item.applied else "pending"
                print(f"{state}  {item.name}")
            return
        applied = migrations.migrate(settings.migrate_database_url)
    except (migrations.MigrationError, OSError, psycopg.Error) as exc:
        print(f"lml migrate: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"{len(applied)} migration(s) applied" if applied else "the database is up to date")


async def _with_container(settings: Settings, command: Callable[[Container], Awaitable[None]]) -> None:
    """Run a one-shot command on the process's container: its connections open for the command only."""
    from lml.container import build_container

    container = build_container(settings)
    await container.open()
    try:
        await container.resources.db.pool.wait(timeout=10)
        await command(container)
    finally:
        await container.close()


def _create_admin(settings: Settings, args: argparse.Namespace) -> None:
    from lml.identity.infrastructure.commands import create_platform_admin

    asyncio.run(_with_container(settings, lambda c: create_platform_admin(c.identity, args.email, args.password,
                                                                          args.name)))
    print(f"platform admin {args.email} is ready")


def _seed_demo(settings: Settings, args: argparse.Namespace) -> None:
    from lml.seed_demo import seed_demo

    asyncio.run(_with_container(settings, seed_demo))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lml", description="LML (Last Minute Live) ticketing backend")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("LML_API_WORKERS", "1")))
    serve.set_defaults(run=_serve)
    worker = commands.add_parser("worker", help="run the background worker")
    worker.add_argument("--threads", type=int, default=8)
    worker.set_defaults(run=_worker)
    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--status", action="store_true", help="list applied and pending migrations")
    migrate.set_defaults(run=_migrate)
    admin = commands.add_parser("create-admin", help="create (or promote) a platform admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", default="Platform admin")
    admin.set_defaults(run=_create_admin)
    seed = commands.add_parser("seed-demo", help="add demo data (idempotent)")
    seed.set_defaults(run=_seed_demo)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"lml: invalid settings: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    args.run(settings, args)


if __name__ == "__main__":
    main()
