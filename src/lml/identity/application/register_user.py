"""Register a user: an account with an email, a password (kept as an argon2id hash) and a name."""

from __future__ import annotations

from lml.identity.application.ports import PasswordHasher, UnitOfWorkFactory
from lml.identity.domain.errors import EmailTaken
from lml.identity.domain.rules import check_new_user
from lml.identity.domain.user import User
from lml.identity.events import UserRegistered
from lml.platform.clock import Clock
from lml.platform.ids import new_id


async def register_user(
    *, uow: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock, email: str, password: str, name: str
) -> User:
    new = check_new_user(email, password, name)
    # Checked before hashing so that a taken email costs no hashing; the unique index settles races.
    async with uow() as tx:
        if await tx.users.by_email(new.email) is not None:
            raise EmailTaken()
    # Hashed outside any transaction: no connection is held for the hashing time.
    password_hash = await hasher.hash(new.password)
    user = User(id=new_id(), email=new.email, name=new.name, password_hash=password_hash,
                is_platform_admin=False, created_at=clock.now())
    async with uow() as tx:
        await tx.users.add(user)
        await tx.publish(UserRegistered(user_id=user.id, email=user.email, name=user.name,
                                        registered_at=user.created_at))
        await tx.commit()
    return user
