"""The step every change of an organization's members starts with (adding, changing a role, removing)."""

from __future__ import annotations

from lml.identity.application.ports import IdentityUnitOfWork
from lml.identity.domain.errors import OrganizationNotFound
from lml.identity.domain.organization import check_an_owner_remains


async def lock_and_check(tx: IdentityUnitOfWork, org_id: str, user_id: str, new_role: str | None) -> str | None:
    """The member's role before the change (None when they are not a member), once the organization is
    locked for the rest of `tx` and the change is known to leave it an owner. The lock makes changes
    of one organization's members queue up: two owners demoting each other at once cannot both see
    the other still an owner."""
    if await tx.organizations.get_for_update(org_id) is None:
        raise OrganizationNotFound()
    role = await tx.organizations.role_of(org_id, user_id)
    if role is not None:
        check_an_owner_remains(role, new_role, await tx.organizations.count_owners(org_id))
    return role
