"""Remove a member from an organization. Whether the caller may do this is decided before, by
`authorize_operator`; the removed member's next operator request is refused, since every one reads
their membership afresh."""

from __future__ import annotations

from lml.identity.application.member_changes import lock_and_check
from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.errors import MemberNotFound
from lml.identity.events import MembershipRevoked


async def remove_member(*, uow: UnitOfWorkFactory, org_id: str, user_id: str) -> None:
    async with uow() as tx:
        role = await lock_and_check(tx, org_id, user_id, None)
        if role is None:
            raise MemberNotFound()
        await tx.organizations.remove_member(org_id, user_id)
        await tx.publish(MembershipRevoked(org_id=org_id, user_id=user_id, role=role))
        await tx.commit()
