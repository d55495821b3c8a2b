"""The refresh_token grant: rotate a refresh token; a token used twice revokes its whole family."""

from __future__ import annotations

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.application.sessions import SessionIssuer, TokenPair
from lml.identity.domain.errors import InvalidRefreshToken, RefreshTokenReused
from lml.identity.domain.refresh_token import digest
from lml.identity.events import RefreshTokenReuseDetected


async def refresh_session(*, uow: UnitOfWorkFactory, sessions: SessionIssuer, refresh_token: str) -> TokenPair:
    now = sessions.clock.now()
    async with uow() as tx:
        token = await tx.refresh_tokens.get_for_update(digest(refresh_token))
        if token is None:
            raise InvalidRefreshToken()
        state = token.state(now)
        if state == "used":
            # Either the client or a thief holds a newer token of this family: neither may go on.
            await tx.refresh_tokens.revoke_family(token.family_id, now)
            await tx.publish(RefreshTokenReuseDetected(user_id=token.user_id, family_id=token.family_id,
                                                       detected_at=now))
            await tx.commit()
            raise RefreshTokenReused()
        if state != "active":
            raise InvalidRefreshToken()
        user = await tx.users.by_id(token.user_id)
        if user is None:
            raise InvalidRefreshToken()
        await tx.refresh_tokens.mark_used(token.token_hash, now)
        # The user is read again so that a promotion or demotion shows in the new access token.
        pair = await sessions.issue(tx, user, family_id=token.family_id)
        await tx.commit()
    return pair
