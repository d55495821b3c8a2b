"""Issuing an access token with a refresh token, shared by the password and refresh_token grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import msgspec

from lml.identity.application.ports import AccessTokenCodec, IdentityUnitOfWork
from lml.identity.domain.refresh_token import RefreshToken, digest
from lml.identity.domain.user import User
from lml.platform.clock import Clock
from lml.platform.domain.principal import Principal
from lml.platform.ids import new_secret


class TokenPair(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth 2 token type, not a secret


@dataclass(frozen=True)
class SessionIssuer:
    """Signs access tokens and stores refresh tokens (hashed); `refresh_seconds` is their lifetime."""

    tokens: AccessTokenCodec
    clock: Clock
    refresh_seconds: int

    def principal(self, user: User, family_id: str) -> Principal:
        return Principal(subject=user.id, kind="user", scopes=user.scopes, email=user.email, name=user.name,
                         session_id=family_id, phone=user.phone)

    async def issue(self, uow: IdentityUnitOfWork, user: User, family_id: str) -> TokenPair:
        now = self.clock.now()
        refresh = new_secret(32)
        await uow.refresh_tokens.add(
            RefreshToken(
                token_hash=digest(refresh),
                family_id=family_id,
                user_id=user.id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.refresh_seconds),
            )
        )
        access = self.tokens.issue(self.principal(user, family_id), now)
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=self.tokens.access_seconds)
