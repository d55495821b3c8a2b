"""Make a registered user a member of an organization with a role (or change their role, as
`change_member_role` does, under the same rule). Whether the caller may do this is decided before,
by `authorize_operator`."""

from __future__ import annotations

import msgspec

from lml.identity.application.member_changes import lock_and_check
from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.organization import role_problem
from lml.identity.domain.rules import email_problem, normalize_email, raise_if_any
from lml.identity.events import MembershipGranted
from lml.platform.domain.errors import FieldError, InvalidInput


class MemberAdded(msgspec.Struct, frozen=True):
    org_id: str
    user_id: str
    email: str
    role: str
    is_new: bool


async def add_member(*, uow: UnitOfWorkFactory, org_id: str, email: str, role: str) -> MemberAdded:
    raise_if_any([("/email", email_problem(email)), ("/role", role_problem(role))])
    email = normalize_email(email)
    async with uow() as tx:
        user = await tx.users.by_email(email)
        if user is None:
            raise InvalidInput([FieldError("/email", "no account is registered with this email")])
        await lock_and_check(tx, org_id, user.id, role)
        is_new = await tx.organizations.set_member(org_id, user.id, role)
        await tx.publish(MembershipGranted(org_id=org_id, user_id=user.id, role=role))
        await tx.commit()
    return MemberAdded(org_id=org_id, user_id=user.id, email=user.email, role=role, is_new=is_new)
