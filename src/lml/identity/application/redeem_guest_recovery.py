"""Redeeming a guest recovery link: a guest session whose email is verified (the link was mailed to
it), which sees every order placed by guests with that email. The token works once."""

from __future__ import annotations

from lml.identity.application.ports import AccessTokenCodec, UnitOfWorkFactory
from lml.identity.application.start_guest_session import GuestSession, guest_session
from lml.identity.domain.account_token import GUEST_RECOVERY
from lml.identity.domain.errors import TokenExpiredOrUsed
from lml.identity.domain.refresh_token import digest
from lml.platform.clock import Clock
from lml.platform.domain.principal import BUYER_SCOPE, Principal
from lml.platform.ids import new_id


async def redeem_guest_recovery(
    *, uow: UnitOfWorkFactory, tokens: AccessTokenCodec, clock: Clock, token: str
) -> GuestSession:
    """Raises `TokenExpiredOrUsed` for a token used, expired, unknown or of another kind."""
    async with uow() as tx:
        redeemed = await tx.account_tokens.redeem(GUEST_RECOVERY, digest(token), clock.now())
        if redeemed is None:
            raise TokenExpiredOrUsed()
        await tx.commit()
    principal = Principal(subject=new_id(), kind="guest", scopes=frozenset({BUYER_SCOPE}), email=redeemed.email,
                          email_verified=True)
    return guest_session(tokens, clock, principal)
