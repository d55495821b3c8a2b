"""AccountTokenRepository on PostgreSQL (`identity.account_tokens`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from lml.identity.domain.account_token import AccountToken, AccountTokenKind

_SELECT = (
    "SELECT id::text AS id, kind, token_hash, email, user_id::text AS user_id, created_at, expires_at, used_at"
    " FROM identity.account_tokens"
)


class PgAccountTokens:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def add(self, token: AccountToken) -> None:
        await self._conn.execute(
            "INSERT INTO identity.account_tokens (id, kind, token_hash, email, user_id, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (token.id, token.kind, token.token_hash, token.email, token.user_id, token.created_at, token.expires_at),
        )

    async def find_live(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        cur = await self._conn.execute(
            _SELECT + " WHERE token_hash = %s AND kind = %s AND used_at IS NULL AND expires_at > %s",
            (token_hash, kind, now),
        )
        row = await cur.fetchone()
        return AccountToken(**row) if row else None

    async def redeem(self, kind: AccountTokenKind, token_hash: str, now: datetime) -> AccountToken | None:
        # One statement decides: a second redemption waits for the first's row lock, then finds
        # `used_at` set (READ COMMITTED re-checks the WHERE on the row it waited for) and gets nothing.
        cur = await self._conn.execute(
            "UPDATE identity.account_tokens SET used_at = %s"
            " WHERE token_hash = %s AND kind = %s AND used_at IS NULL AND expires_at > %s"
            " RETURNING id::text AS id, kind, token_hash, email, user_id::text AS user_id, created_at, expires_at,"
            " used_at",
            (now, token_hash, kind, now),
        )
        row = await cur.fetchone()
        return AccountToken(**row) if row else None
