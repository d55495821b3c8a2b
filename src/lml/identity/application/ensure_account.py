"""Make sure an account with this email and password exists: `lml create-admin` and demo seeding.
An existing account gets the given password (the operator typed it on purpose) and, if asked,
becomes a platform admin; nobody is demoted here."""

from __future__ import annotations

import msgspec

from lml.identity.application.ports import PasswordHasher, UnitOfWorkFactory
from lml.identity.domain.rules import check_new_user
from lml.identity.domain.user import User
from lml.identity.events import UserRegistered
from lml.platform.clock import Clock
from lml.platform.ids import new_id


class AccountReady(msgspec.Struct, frozen=True):
    user_id: str
    email: str
    created: bool


async def ensure_account(
    *,
    uow: UnitOfWorkFactory,
    hasher: PasswordHasher,
    clock: Clock,
    email: str,
    password: str,
    name: str,
    platform_admin: bool,
) -> AccountReady:
    new = check_new_user(email, password, name)
    password_hash = await hasher.hash(new.password)
    async with uow() as tx:
        existing = await tx.users.by_email(new.email)
        if existing is not None:
            await tx.users.set_password_hash(existing.id, password_hash)
            if platform_admin:
                await tx.users.set_platform_admin(existing.id, True)
            await tx.commit()
            return AccountReady(user_id=existing.id, email=existing.email, created=False)
        user = User(id=new_id(), email=new.email, name=new.name, password_hash=password_hash,
                    is_platform_admin=platform_admin, created_at=clock.now())
        await tx.users.add(user)
        await tx.publish(UserRegistered(user_id=user.id, email=user.email, name=user.name,
                                        registered_at=user.created_at))
        await tx.commit()
    return AccountReady(user_id=user.id, email=user.email, created=True)
