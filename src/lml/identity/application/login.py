"""The password grant: trade an email and a password for an access token and a new refresh token family."""

from __future__ import annotations

from lml.identity.application.ports import PasswordHasher, UnitOfWorkFactory
from lml.identity.application.sessions import SessionIssuer, TokenPair
from lml.identity.domain.errors import InvalidCredentials
from lml.identity.domain.rules import email_problem, normalize_email, password_problem
from lml.platform.ids import new_id


async def login_with_password(
    *, uow: UnitOfWorkFactory, hasher: PasswordHasher, sessions: SessionIssuer, email: str, password: str
) -> TokenPair:
    # No account has an email or a password outside the rules: such a guess needs no (costly) hashing,
    # and timing tells nothing the caller does not know.
    if email_problem(email) is not None or password_problem(password) is not None:
        raise InvalidCredentials()
    email = normalize_email(email)
    async with uow() as tx:
        user = await tx.users.by_email(email)
    if user is None:
        # As slow as a wrong password, so that timing does not tell which emails have accounts.
        await hasher.verify_nothing(password)
        raise InvalidCredentials()
    if not await hasher.verify(user.password_hash, password):
        raise InvalidCredentials()
    # Hashes made with weaker (older) parameters are upgraded while the password is at hand.
    new_hash = await hasher.hash(password) if hasher.needs_rehash(user.password_hash) else None
    async with uow() as tx:
        if new_hash is not None:
            await tx.users.set_password_hash(user.id, new_hash)
        pair = await sessions.issue(tx, user, family_id=new_id())
        await tx.commit()
    return pair
