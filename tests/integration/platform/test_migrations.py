"""`lml migrate`: numbered SQL files applied once each, in order, in a transaction, under an advisory lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import psycopg
import psycopg.conninfo
import psycopg.sql
import pytest

from lml.platform import migrations
from lml.platform.migrations import MigrationError


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    return write(
        tmp_path / "migrations",
        {
            "0001_shows.sql": "CREATE SCHEMA demo; CREATE TABLE demo.shows (id int PRIMARY KEY, title text NOT NULL);",
            # Not idempotent on purpose: applying it twice would fail.
            "0002_seats.sql": "CREATE TABLE demo.seats (show_id int REFERENCES demo.shows, label text);"
            " INSERT INTO demo.shows VALUES (1, 'Opening night');",
        },
    )


def recorded(dsn: str) -> list[tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        return [(int(v), str(n)) for v, n in conn.execute(
            "SELECT version, name FROM platform.schema_migrations ORDER BY version"
        ).fetchall()]


def table_exists(dsn: str, name: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def quiet(_: str) -> None:
    pass


def test_the_real_migrations_apply_to_a_fresh_database_and_a_second_run_does_nothing(fresh_dsn: str) -> None:
    files = migrations.discover()

    applied = migrations.migrate(fresh_dsn, report=quiet)

    assert applied == [m.name for m in files]
    assert [name for _, name in recorded(fresh_dsn)] == applied
    assert migrations.migrate(fresh_dsn, report=quiet) == []
    assert all(item.applied and not item.changed for item in migrations.status(fresh_dsn))
    assert table_exists(fresh_dsn, "platform.outbox")


def test_status_lists_applied_and_pending_without_changing_anything(fresh_dsn: str, synthetic: Path) -> None:
    migrations.ensure_database(fresh_dsn, report=quiet)
    assert [(s.name, s.applied) for s in migrations.status(fresh_dsn, synthetic)] == [
        ("0001_shows.sql", False),
        ("0002_seats.sql", False),
    ]
    assert not table_exists(fresh_dsn, "platform.schema_migrations")

    migrations.migrate(fresh_dsn, synthetic, report=quiet)
    write(synthetic, {"0003_prices.sql": "ALTER TABLE demo.shows ADD COLUMN price_minor int;"})

    assert [(s.name, s.applied) for s in migrations.status(fresh_dsn, synthetic)] == [
        ("0001_shows.sql", True),
        ("0002_seats.sql", True),
        ("0003_prices.sql", False),
    ]


def test_pending_migrations_are_applied_in_order(fresh_dsn: str, synthetic: Path) -> None:
    migrations.migrate(fresh_dsn, synthetic, report=quiet)
    write(synthetic, {
        "0004_b.sql": "ALTER TABLE demo.shows ADD COLUMN b int; UPDATE demo.shows SET b = price_minor + 1;",
        "0003_a.sql": "ALTER TABLE demo.shows ADD COLUMN price_minor int DEFAULT 100;",
    })

    assert migrations.migrate(fresh_dsn, synthetic, report=quiet) == ["0003_a.sql", "0004_b.sql"]
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT b FROM demo.shows").fetchall() == [(101,)]


def test_an_applied_migration_that_changed_is_refused(fresh_dsn: str, synthetic: Path) -> None:
    migrations.migrate(fresh_dsn, synthetic, report=quiet)
    (synthetic / "0001_shows.sql").write_text("CREATE SCHEMA demo; CREATE TABLE demo.shows (id bigint PRIMARY KEY);")
    write(synthetic, {"0003_prices.sql": "ALTER TABLE demo.shows ADD COLUMN price_minor int;"})

    with pytest.raises(MigrationError, match=r"0001_shows\.sql changed after it was applied"):
        migrations.migrate(fresh_dsn, synthetic, report=quiet)

    assert [s.changed for s in migrations.status(fresh_dsn, synthetic)] == [True, False, False]
    # Refused before anything else was applied.
    assert [name for _, name in recorded(fresh_dsn)] == ["0001_shows.sql", "0002_seats.sql"]


def test_a_failing_migration_rolls_back_entirely_and_is_not_recorded(fresh_dsn: str, synthetic: Path) -> None:
    write(synthetic, {
        "0003_broken.sql": "CREATE TABLE demo.prices (id int); INSERT INTO demo.prices VALUES (1);"
                           " UPDATE demo.shows SET title = 'changed'; SELECT 1 / 0;",
        "0004_after.sql": "CREATE TABLE demo.after (id int);",
    })

    with pytest.raises(MigrationError, match=r"0003_broken\.sql failed and was rolled back: division by zero"):
        migrations.migrate(fresh_dsn, synthetic, report=quiet)

    assert [name for _, name in recorded(fresh_dsn)] == ["0001_shows.sql", "0002_seats.sql"]
    assert not table_exists(fresh_dsn, "demo.prices")
    assert not table_exists(fresh_dsn, "demo.after")
    with psycopg.connect(fresh_dsn) as conn:
        assert conn.execute("SELECT title FROM demo.shows").fetchall() == [("Opening night",)]


def test_badly_named_files_are_refused(tmp_path: Path) -> None:
    directory = write(tmp_path / "bad", {"1_shows.sql": "SELECT 1;"})

    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        migrations.discover(directory)


def test_concurrent_runs_on_a_fresh_machine_all_succeed_and_apply_each_migration_once(
    fresh_dsn: str, synthetic: Path
) -> None:
    # The database does not exist yet either: the runs also race to create it.
    # Slow enough that the second run surely arrives while the first holds the lock.
    write(synthetic, {"0003_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE demo.slow (id int);"})
    results: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        start.wait()
        try:
            results.append(migrations.migrate(fresh_dsn, synthetic, report=quiet))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results, key=len) == [[], [], ["0001_shows.sql", "0002_seats.sql", "0003_slow.sql"]]
    assert [name for _, name in recorded(fresh_dsn)] == ["0001_shows.sql", "0002_seats.sql", "0003_slow.sql"]


def _lml(*args: str, dsn: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | {"LML_MIGRATE_DATABASE_URL": dsn}
    return subprocess.run(
        [str(Path(sys.executable).parent / "lml"), "migrate", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def test_the_lml_migrate_command_lists_applies_and_reports(fresh_dsn: str) -> None:
    migrations.ensure_database(fresh_dsn, report=quiet)
    names = [m.name for m in migrations.discover()]

    before = _lml("--status", dsn=fresh_dsn)
    applied = _lml(dsn=fresh_dsn)
    after = _lml("--status", dsn=fresh_dsn)

    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines() == [f"pending  {name}" for name in names]
    assert applied.returncode == 0, applied.stderr
    assert f"{len(names)} migration(s) applied" in applied.stdout
    assert after.stdout.splitlines() == [f"applied  {name}" for name in names]


def test_the_lml_migrate_command_exits_1_with_a_message_when_the_database_is_unreachable() -> None:
    done = _lml(dsn="postgresql://nobody@127.0.0.1:1/lml?connect_timeout=2")

    assert done.returncode == 1
    assert done.stderr.startswith("lml migrate: ")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_an_installed_wheel_carries_the_migrations_and_applies_them(fresh_dsn: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    built = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(root)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("lml-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    names = [m.name for m in migrations.discover()]
    assert sorted(p.name for p in (installed / "lml" / "migrations").glob("*.sql")) == names

    # The package alone, ahead of the checkout's, run away from the checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | {
        "LML_MIGRATE_DATABASE_URL": fresh_dsn, "PYTHONPATH": str(installed)}
    applied = subprocess.run([sys.executable, "-m", "lml", "migrate"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert applied.returncode == 0, applied.stderr
    assert f"{len(names)} migration(s) applied" in applied.stdout
    assert [name for _, name in recorded(fresh_dsn)] == names
