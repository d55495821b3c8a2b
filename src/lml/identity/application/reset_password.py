"""Confirming a password reset: the new password replaces the old, and every session of the user ends
(their refresh tokens revoked, their access tokens refused within seconds), since whoever forced the
reset may be holding one. The token works once."""

from __future__ import annotations

from lml.identity.application.ports import PasswordHasher, SessionRevoker, UnitOfWorkFactory
from lml.identity.application.sessions import SessionIssuer
from lml.identity.domain.account_token import PASSWORD_RESET
from lml.identity.domain.errors import TokenExpiredOrUsed
from lml.identity.domain.refresh_token import digest
from lml.identity.domain.rules import password_problem, raise_if_any


async def reset_password(
    *, uow: UnitOfWorkFactory, hasher: PasswordHasher, sessions: SessionIssuer, revoker: SessionRevoker,
    token: str, password: str,
) -> None:
    """Raises `InvalidInput` naming /password (nothing changed, the token still good), or
    `TokenExpiredOrUsed` for a token used, expired, unknown or of another kind."""
    raise_if_any([("/password", password_problem(password))])
    token_hash = digest(token)
    # Looked at first, so that a dead token costs no hashing; redeemed after, in one conditional write.
    async with uow() as tx:
        if await tx.account_tokens.find_live(PASSWORD_RESET, token_hash, sessions.clock.now()) is None:
            raise TokenExpiredOrUsed()
    # Hashed outside any transaction: no connection is held for the hashing time.
    password_hash = await hasher.hash(password)
    now = sessions.clock.now()
    async with uow() as tx:
        redeemed = await tx.account_tokens.redeem(PASSWORD_RESET, token_hash, now)
        if redeemed is None or redeemed.user_id is None:
            raise TokenExpiredOrUsed()
        await tx.users.set_password_hash(redeemed.user_id, password_hash)
        ended = await tx.refresh_tokens.revoke_all_of_user(redeemed.user_id, now)
        await tx.commit()
    for family_id in ended:
        await revoker.revoke(family_id, sessions.tokens.access_seconds)
