"""UserRepository on PostgreSQL (`identity.users`)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from lml.identity.domain.errors import EmailTaken
from lml.identity.domain.user import User

_SELECT = "SELECT id::text AS id, email, name, password_hash, is_platform_admin, created_at, phone FROM identity.users"
_BY_ID = _SELECT + " WHERE id = %s"
_BY_EMAIL = _SELECT + " WHERE lower(email) = lower(%s)"


def _user(row: dict[str, Any] | None) -> User | None:
    return User(**row) if row else None


class PgUsers:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def add(self, user: User) -> None:
        # ON CONFLICT rather than catching the violation: the caller's transaction stays usable.
        cur = await self._conn.execute(
            "INSERT INTO identity.users (id, email, name, password_hash, is_platform_admin, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ((lower(email))) DO NOTHING",
            (user.id, user.email, user.name, user.password_hash, user.is_platform_admin, user.created_at),
        )
        if cur.rowcount != 1:
            raise EmailTaken()

    async def by_id(self, user_id: str) -> User | None:
        cur = await self._conn.execute(_BY_ID, (user_id,))
        return _user(await cur.fetchone())

    async def by_email(self, email: str) -> User | None:
        cur = await self._conn.execute(_BY_EMAIL, (email,))
        return _user(await cur.fetchone())

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._conn.execute("UPDATE identity.users SET password_hash = %s WHERE id = %s", (password_hash, user_id))

    async def set_platform_admin(self, user_id: str, is_platform_admin: bool) -> None:
        await self._conn.execute(
            "UPDATE identity.users SET is_platform_admin = %s WHERE id = %s", (is_platform_admin, user_id)
        )

    async def set_profile(self, user_id: str, *, name: str, phone: str | None) -> User | None:
        cur = await self._conn.execute(
            "UPDATE identity.users SET name = %s, phone = %s WHERE id = %s"
            " RETURNING id::text AS id, email, name, password_hash, is_platform_admin, created_at, phone",
            (name, phone, user_id),
        )
        return _user(await cur.fetchone())
