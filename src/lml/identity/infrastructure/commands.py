"""One-shot commands of the `lml` CLI that belong to identity."""

from __future__ import annotations

import sys

from lml.config import Settings
from lml.identity.application.ensure_account import ensure_account
from lml.identity.infrastructure.argon2_hasher import Argon2Hasher
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.clock import SystemClock
from lml.platform.db import Database
from lml.platform.domain.errors import InvalidInput


async def create_platform_admin(settings: Settings, email: str, password: str, name: str) -> None:
    """`lml create-admin`: create a platform admin, or promote the existing user with this email
    (their password becomes `password`). Bad input exits with status 2 and says what is wrong."""
    db = Database(settings)
    await db.open()
    try:
        await db.pool.wait(timeout=10)
        ready = await ensure_account(uow=pg_unit_of_work(db), hasher=Argon2Hasher(), clock=SystemClock(),
                                     email=email, password=password, name=name, platform_admin=True)
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"lml create-admin: {error.path.lstrip('/')} {error.message}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        await db.close()
    print(f"{'created' if ready.created else 'promoted'} platform admin {ready.email} ({ready.user_id})")
