"""`lml create-admin` and `lml seed-demo`, run as a person would: the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import psycopg.conninfo

from lml.config import Settings
from lml.identity.application.login import login_with_password
from lml.identity.application.sessions import SessionIssuer
from lml.identity.infrastructure.argon2_hasher import Argon2Hasher
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.resources import Resources
from lml.seed_demo import DEMO_EMAIL, DEMO_ORG_ID

LML = str(Path(sys.executable).parent / "lml")


def as_url(dsn: str) -> str:
    """The test harness names its database in conninfo form; `LML_DATABASE_URL` must be a URL."""
    if "://" in dsn:
        return dsn
    parts = psycopg.conninfo.conninfo_to_dict(dsn)
    password = f":{quote(str(parts['password']), safe='')}" if parts.get("password") else ""
    return (f"postgresql://{parts.get('user', '')}{password}@{parts.get('host', '127.0.0.1')}:"
            f"{parts.get('port', 5432)}/{parts['dbname']}")


def run_lml(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LML_")}
    environ.update(LML_DATABASE_URL=as_url(settings.database_url), LML_REDIS_URL=settings.redis_url,
                   LML_MONGO_URL=settings.mongo_url, LML_MONGO_DATABASE=settings.mongo_database, **env)
    return subprocess.run([LML, *args], env=environ, capture_output=True, text=True, timeout=60, check=False)


async def scopes_after_login(resources: Resources, email: str, password: str) -> frozenset[str]:
    sessions = SessionIssuer(resources.tokens, resources.clock, resources.settings.refresh_token_seconds)
    pair = await login_with_password(uow=pg_unit_of_work(resources.db), hasher=Argon2Hasher(), sessions=sessions,
                                     email=email, password=password)
    return resources.tokens.verify(pair.access_token).scopes


def user_rows(settings: Settings) -> list[tuple[str, bool]]:
    with psycopg.connect(settings.migrate_database_url) as conn:
        rows = conn.execute("SELECT email, is_platform_admin FROM identity.users ORDER BY email").fetchall()
    return [(str(email), bool(admin)) for email, admin in rows]


async def test_create_admin_creates_a_platform_admin_who_can_log_in(settings: Settings, resources: Resources) -> None:
    done = run_lml(settings, "create-admin", "--email", "Root@Example.com", "--password", "root-password-1")
    assert done.returncode == 0, done.stderr
    assert "created platform admin root@example.com" in done.stdout
    assert await scopes_after_login(resources, "root@example.com", "root-password-1") == {"buyer", "platform:admin"}


async def test_create_admin_promotes_an_existing_user_and_sets_the_password(
    settings: Settings, resources: Resources, make_user: object
) -> None:
    await make_user(email="ada@example.com")  # type: ignore[operator]
    done = run_lml(settings, "create-admin", "--email", "ADA@example.com", "--password", "a-new-password")
    assert done.returncode == 0, done.stderr
    assert "promoted platform admin ada@example.com" in done.stdout
    assert user_rows(settings) == [("ada@example.com", True)]
    assert await scopes_after_login(resources, "ada@example.com", "a-new-password") == {"buyer", "platform:admin"}


def test_create_admin_with_bad_input_says_what_is_wrong_and_writes_nothing(settings: Settings) -> None:
    done = run_lml(settings, "create-admin", "--email", "not-an-email", "--password", "short")
    assert done.returncode == 2
    assert "email is not a valid email address" in done.stderr
    assert "password must be 10 to 256 characters long" in done.stderr
    assert "Traceback" not in done.stderr
    assert user_rows(settings) == []


async def test_seed_demo_is_idempotent_and_its_credentials_work(settings: Settings, resources: Resources) -> None:
    for _ in range(2):
        done = run_lml(settings, "seed-demo", LML_DEMO_PASSWORD="demo-secret-from-env")
        assert done.returncode == 0, done.stderr
    assert f"X-Org-ID: {DEMO_ORG_ID}" in done.stdout
    assert f"{DEMO_EMAIL} / demo-secret-from-env" in done.stdout
    assert user_rows(settings) == [(DEMO_EMAIL, False)]
    with psycopg.connect(settings.migrate_database_url) as conn:
        memberships = conn.execute(
            "SELECT o.id::text, o.name, m.role FROM identity.memberships m"
            " JOIN identity.organizations o ON o.id = m.org_id"
        ).fetchall()
    assert memberships == [(DEMO_ORG_ID, "Demo Arts Trust", "owner")]
    assert await scopes_after_login(resources, DEMO_EMAIL, "demo-secret-from-env") == {"buyer"}
