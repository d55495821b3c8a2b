"""Log out: end the caller's session. Its refresh tokens are revoked, and its access tokens are
refused by every API process within seconds instead of working until they expire."""

from __future__ import annotations

from lml.identity.application.ports import SessionRevoker, UnitOfWorkFactory
from lml.identity.application.sessions import SessionIssuer
from lml.identity.application.start_guest_session import GUEST_TOKEN_SECONDS
from lml.identity.domain.access import canonical_uuid
from lml.identity.domain.refresh_token import digest
from lml.platform.domain.principal import Principal


async def log_out(
    *, uow: UnitOfWorkFactory, sessions: SessionIssuer, revoker: SessionRevoker, principal: Principal,
    refresh_token: str | None = None,
) -> None:
    """`refresh_token`, if given, ends its session too (a token of the caller's only: someone else's,
    or an unknown one, changes nothing and is not reported, as RFC 7009 has it)."""
    ended = {principal.session_id} if principal.session_id else set()
    if principal.kind == "guest":
        # A guest's session is their one token: nothing is stored for it.
        token_seconds = GUEST_TOKEN_SECONDS
    else:
        token_seconds = sessions.tokens.access_seconds
        async with uow() as tx:
            if refresh_token:
                token = await tx.refresh_tokens.get_for_update(digest(refresh_token))
                if token is not None and token.user_id == principal.subject:
                    ended.add(token.family_id)
            # A user's session is a refresh-token family (a token from before sessions has its own id).
            for family_id in filter(canonical_uuid, ended):
                await tx.refresh_tokens.revoke_family(family_id, sessions.clock.now())
            await tx.commit()
    for session_id in ended:
        await revoker.revoke(session_id, token_seconds)
