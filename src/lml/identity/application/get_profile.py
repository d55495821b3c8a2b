"""`GET /v1/me`: the calling user and the organizations they belong to, with their roles."""

from __future__ import annotations

import msgspec

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.access import canonical_uuid
from lml.identity.domain.errors import NotAUser, UnknownUser
from lml.identity.domain.organization import Membership
from lml.identity.domain.user import User
from lml.platform.domain.principal import Principal


class Profile(msgspec.Struct, frozen=True):
    user: User
    memberships: list[Membership]


async def get_profile(*, uow: UnitOfWorkFactory, principal: Principal) -> Profile:
    user_id = canonical_uuid(principal.subject) if principal.kind == "user" else None
    if user_id is None:
        raise NotAUser()
    async with uow() as tx:
        user = await tx.users.by_id(user_id)
        if user is None:
            raise UnknownUser()
        return Profile(user=user, memberships=await tx.organizations.memberships_of(user_id))
