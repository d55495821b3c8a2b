"""OrganizationRepository on PostgreSQL (`identity.organizations`, `identity.memberships`)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from lml.identity.domain.access import AccessFacts
from lml.identity.domain.organization import Membership, Organization

_ORGANIZATION = (
    "SELECT id::text AS id, name, created_at, mail_from_name, reply_to FROM identity.organizations WHERE id = %s"
)


class PgOrganizations:
    def __init__(self, conn: AsyncConnection[dict[str, Any]]) -> None:
        self._conn = conn

    async def add(self, organization: Organization) -> bool:
        cur = await self._conn.execute(
            "INSERT INTO identity.organizations (id, name, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (organization.id, organization.name, organization.created_at),
        )
        return cur.rowcount == 1

    async def get(self, org_id: str) -> Organization | None:
        cur = await self._conn.execute(_ORGANIZATION, (org_id,))
        row = await cur.fetchone()
        return Organization(**row) if row else None

    async def get_for_update(self, org_id: str) -> Organization | None:
        cur = await self._conn.execute(_ORGANIZATION + " FOR UPDATE", (org_id,))
        row = await cur.fetchone()
        return Organization(**row) if row else None

    async def role_of(self, org_id: str, user_id: str) -> str | None:
        cur = await self._conn.execute(
            "SELECT role FROM identity.memberships WHERE org_id = %s AND user_id = %s", (org_id, user_id)
        )
        row = await cur.fetchone()
        return str(row["role"]) if row else None

    async def count_owners(self, org_id: str) -> int:
        cur = await self._conn.execute(
            "SELECT count(*) AS owners FROM identity.memberships WHERE org_id = %s AND role = 'owner'", (org_id,)
        )
        row = await cur.fetchone()
        return int(row["owners"]) if row else 0

    async def remove_member(self, org_id: str, user_id: str) -> None:
        await self._conn.execute(
            "DELETE FROM identity.memberships WHERE org_id = %s AND user_id = %s", (org_id, user_id)
        )

    async def set_member(self, org_id: str, user_id: str, role: str) -> bool:
        # `xmax = 0` only for a freshly inserted row: tells an added member from a changed role.
        cur = await self._conn.execute(
            "INSERT INTO identity.memberships (org_id, user_id, role) VALUES (%s, %s, %s)"
            " ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role"
            " RETURNING (xmax = 0) AS inserted",
            (org_id, user_id, role),
        )
        row = await cur.fetchone()
        return bool(row and row["inserted"])

    async def memberships_of(self, user_id: str) -> list[Membership]:
        cur = await self._conn.execute(
            "SELECT m.org_id::text AS org_id, o.name AS org_name, m.user_id::text AS user_id, m.role"
            " FROM identity.memberships m JOIN identity.organizations o ON o.id = m.org_id"
            " WHERE m.user_id = %s ORDER BY o.name, o.id",
            (user_id,),
        )
        return [Membership(**row) for row in await cur.fetchall()]

    async def access_facts(self, org_id: str, user_id: str) -> AccessFacts | None:
        cur = await self._conn.execute(
            "SELECT m.role AS member_role, u.is_platform_admin"
            " FROM identity.organizations o"
            " JOIN identity.users u ON u.id = %(user_id)s"
            " LEFT JOIN identity.memberships m ON m.org_id = o.id AND m.user_id = u.id"
            " WHERE o.id = %(org_id)s",
            {"org_id": org_id, "user_id": user_id},
        )
        row = await cur.fetchone()
        return AccessFacts(**row) if row else None

    async def set_mail_settings(
        self, org_id: str, *, mail_from_name: str | None, reply_to: str | None
    ) -> Organization | None:
        cur = await self._conn.execute(
            "UPDATE identity.organizations SET mail_from_name = %s, reply_to = %s WHERE id = %s"
            " RETURNING id::text AS id, name, created_at, mail_from_name, reply_to",
            (mail_from_name, reply_to, org_id),
        )
        row = await cur.fetchone()
        return Organization(**row) if row else None
