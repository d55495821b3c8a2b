"""What other contexts (and the demo seeder) may call on identity.

Operator routes elsewhere take the guard `operator_in(WRITERS | READERS)` and the dependency
`current_operator`; both check the raw `X-Org-ID` header value through `authorize_operator`:
missing or malformed → `InvalidInput` (422) naming `X-Org-ID`; not a member with an allowed role,
or no such organization → `Forbidden` (403); platform admins may act in any existing organization.
"""

from __future__ import annotations

from collections.abc import Collection

from lml.identity.application import add_member as _add_member
from lml.identity.application import authorize_operator as _authorize
from lml.identity.application import create_organization as _create_organization
from lml.identity.application import ensure_account as _ensure_account
from lml.identity.domain.access import PLATFORM_ADMIN_ROLE, OperatorAccess
from lml.identity.domain.organization import ROLES, Role
from lml.identity.infrastructure.argon2_hasher import Argon2Hasher
from lml.identity.infrastructure.operator_guard import READERS, WRITERS, current_operator, operator_in
from lml.identity.infrastructure.pg_unit_of_work import pg_unit_of_work
from lml.platform.clock import SystemClock
from lml.platform.db import Database
from lml.platform.tokens import Principal

__all__ = [
    "PLATFORM_ADMIN_ROLE",
    "READERS",
    "ROLES",
    "WRITERS",
    "OperatorAccess",
    "Role",
    "add_member",
    "authorize_operator",
    "create_organization",
    "current_operator",
    "ensure_user",
    "operator_in",
]


async def authorize_operator(
    db: Database, principal: Principal, org_id: str | None, allowed_roles: Collection[str]
) -> OperatorAccess:
    return await _authorize.authorize_operator(uow=pg_unit_of_work(db), principal=principal, org_id=org_id,
                                               allowed_roles=allowed_roles)


async def create_organization(db: Database, name: str, *, org_id: str | None = None) -> str:
    """The new organization's id. Given an `org_id` that exists already, changes nothing and returns it."""
    organization = await _create_organization.create_organization(
        uow=pg_unit_of_work(db), clock=SystemClock(), name=name, org_id=org_id
    )
    return organization.id


async def add_member(db: Database, org_id: str, email: str, role: Role) -> str:
    """Make the registered user with `email` a member with `role` (or change their role); their user id."""
    added = await _add_member.add_member(uow=pg_unit_of_work(db), org_id=org_id, email=email, role=role)
    return added.user_id


async def ensure_user(db: Database, email: str, password: str, name: str) -> str:
    """A user with this email and password, created if needed (an existing one's password is reset); their id."""
    ready = await _ensure_account.ensure_account(
        uow=pg_unit_of_work(db), hasher=Argon2Hasher(), clock=SystemClock(), email=email, password=password,
        name=name, platform_admin=False,
    )
    return ready.user_id
