"""Change a member's role. Whether the caller may do this is decided before, by `authorize_operator`."""

from __future__ import annotations

import msgspec

from lml.identity.application.member_changes import lock_and_check
from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.errors import MemberNotFound
from lml.identity.domain.organization import role_problem
from lml.identity.domain.rules import raise_if_any
from lml.identity.events import MembershipGranted


class MemberRole(msgspec.Struct, frozen=True):
    org_id: str
    user_id: str
    email: str
    role: str


async def change_member_role(*, uow: UnitOfWorkFactory, org_id: str, user_id: str, role: str) -> MemberRole:
    raise_if_any([("/role", role_problem(role))])
    async with uow() as tx:
        if await lock_and_check(tx, org_id, user_id, role) is None:
            raise MemberNotFound()
        user = await tx.users.by_id(user_id)
        if user is None:  # memberships go with their user; a member without one is a broken store
            raise MemberNotFound()
        await tx.organizations.set_member(org_id, user_id, role)
        await tx.publish(MembershipGranted(org_id=org_id, user_id=user_id, role=role))
        await tx.commit()
    return MemberRole(org_id=org_id, user_id=user_id, email=user.email, role=role)
