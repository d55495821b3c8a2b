"""`PATCH /v1/me`: a user changes their name and phone (E.164, or None for none). The phone reaches
their orders through their access token, from their next login or refresh on."""

from __future__ import annotations

import msgspec

from lml.identity.application.get_profile import Profile
from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.access import canonical_uuid
from lml.identity.domain.errors import NotAUser, UnknownUser
from lml.identity.domain.rules import check_profile
from lml.platform.domain.principal import Principal


async def update_profile(
    *, uow: UnitOfWorkFactory, principal: Principal, name: str,
    phone: str | msgspec.UnsetType | None = msgspec.UNSET,
) -> Profile:
    """`phone` left UNSET keeps the one the user has."""
    user_id = canonical_uuid(principal.subject) if principal.kind == "user" else None
    if user_id is None:
        raise NotAUser()
    checked = check_profile(name, phone if isinstance(phone, str) else None)
    async with uow() as tx:
        user = await tx.users.by_id(user_id)
        if user is None:
            raise UnknownUser()
        new_phone = user.phone if phone is msgspec.UNSET else checked.phone
        changed = await tx.users.set_profile(user_id, name=checked.name, phone=new_phone)
        if changed is None:
            raise UnknownUser()
        memberships = await tx.organizations.memberships_of(user_id)
        await tx.commit()
    return Profile(user=changed, memberships=memberships)
