"""RefreshTokenRepository on PostgreSQL (`identity.refresh_tokens`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from lml.identity.domain.refresh_token import RefreshToken


class PgRefreshTokens:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        await self._conn.execute(
            "INSERT INTO identity.refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (token.token_hash, token.family_id, token.user_id, token.issued_at, token.expires_at),
        )

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        cur = await self._conn.execute(
            "SELECT token_hash, family_id::text AS family_id, user_id::text AS user_id, issued_at, expires_at,"
            " used_at, revoked_at FROM identity.refresh_tokens WHERE token_hash = %s FOR UPDATE",
            (token_hash,),
        )
        row = await cur.fetchone()
        return RefreshToken(**row) if row else None

    async def mark_used(self, token_hash: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE identity.refresh_tokens SET used_at = %s WHERE token_hash = %s", (at, token_hash)
        )

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE identity.refresh_tokens SET revoked_at = %s WHERE family_id = %s AND revoked_at IS NULL",
            (at, family_id),
        )

    async def revoke_all_of_user(self, user_id: str, at: datetime) -> list[str]:
        cur = await self._conn.execute(
            "UPDATE identity.refresh_tokens SET revoked_at = %s WHERE user_id = %s AND revoked_at IS NULL"
            " RETURNING family_id::text AS family_id",
            (at, user_id),
        )
        return sorted({row["family_id"] for row in await cur.fetchall()})
