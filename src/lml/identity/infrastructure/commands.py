"""One-shot commands of the `lml` CLI that belong to identity."""

from __future__ import annotations

import sys

from lml.identity.application.ensure_account import ensure_account
from lml.identity.infrastructure.services import IdentityServices
from lml.platform.domain.errors import InvalidInput


async def create_platform_admin(identity: IdentityServices, email: str, password: str, name: str) -> None:
    """`lml create-admin`: create a platform admin, or promote the existing user with this email
    (their password becomes `password`). Bad input exits with status 2 and says what is wrong."""
    try:
        ready = await ensure_account(uow=identity.uow, hasher=identity.hasher, clock=identity.clock, email=email,
                                     password=password, name=name, platform_admin=True)
    except InvalidInput as exc:
        for error in exc.errors:
            print(f"lml create-admin: {error.path.lstrip('/')} {error.message}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"{'created' if ready.created else 'promoted'} platform admin {ready.email} ({ready.user_id})")
