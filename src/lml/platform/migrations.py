"""Forward-only SQL migrations: numbered files applied in order, each in its own transaction,
under an advisory lock so that concurrent runs are safe, recorded in `platform.schema_migrations`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.conninfo
import psycopg.errors
import psycopg.sql

# Any fixed 64-bit number; every `lml migrate` takes the same one.
_LOCK_KEY = 0x4C4D4C_4D494752  # "LML" "MIGR"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_PACKAGE = Path(__file__).resolve().parents[1]
# An installed wheel carries the migrations in the package; a checkout has them at its top.
DEFAULT_DIR = next((d for d in (_PACKAGE / "migrations", _PACKAGE.parents[1] / "migrations") if d.is_dir()),
                   _PACKAGE / "migrations")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    version: int
    name: str
    applied: bool
    # Applied, but the file no longer matches what was applied: `migrate` refuses to go on.
    changed: bool = False


class MigrationError(Exception):
    pass


def discover(directory: Path = DEFAULT_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migrations share a number")
    return migrations


_BOOKKEEPING = """
CREATE SCHEMA IF NOT EXISTS platform;
CREATE TABLE IF NOT EXISTS platform.schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


def _applied(conn: psycopg.Connection) -> dict[int, str]:
    rows = conn.execute("SELECT version, checksum FROM platform.schema_migrations").fetchall()
    return {int(v): str(c) for v, c in rows}


def status(dsn: str, directory: Path = DEFAULT_DIR) -> list[MigrationStatus]:
    """Each migration file, applied or pending. Changes nothing (a database never migrated is all pending)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('platform.schema_migrations') IS NOT NULL").fetchone()
        applied = _applied(conn) if exists and exists[0] else {}
    return [
        MigrationStatus(
            m.version, m.name, m.version in applied, m.version in applied and applied[m.version] != m.checksum
        )
        for m in discover(directory)
    ]


def ensure_database(dsn: str, report: Callable[[str], None] = print) -> None:
    """Create the database named in `dsn` when it does not exist yet (a fresh machine)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    name = str(info.get("dbname") or "")
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        if not name or f'"{name}" does not exist' not in str(exc):
            raise
    admin = psycopg.conninfo.make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        # Runs racing to create the database would fail on the catalog's unique index: one at a time.
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        if conn.execute("SELECT FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
            report(f"created database {name}")


def migrate(dsn: str, directory: Path = DEFAULT_DIR, report: Callable[[str], None] = print) -> list[str]:
    """Apply pending migrations; returns the names applied. Safe to run from many processes at once:
    the others wait on the advisory lock, then find nothing left to do."""
    ensure_database(dsn, report)
    files = discover(directory)
    done: list[str] = []
    # The lock belongs to this session: closing the connection releases it, whatever went wrong.
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        conn.execute(_BOOKKEEPING)
        applied = _applied(conn)
        changed = [m.name for m in files if m.version in applied and applied[m.version] != m.checksum]
        if changed:
            raise MigrationError(f"{', '.join(changed)} changed after it was applied; add a new migration instead")
        for migration in (m for m in files if m.version not in applied):
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO platform.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"{migration.name} failed and was rolled back: {exc}") from exc
            report(f"applied {migration.name}")
            done.append(migration.name)
    return done
