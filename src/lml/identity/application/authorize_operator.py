"""May this caller act inside the organization named by `X-Org-ID`, in one of the allowed roles?"""

from __future__ import annotations

from collections.abc import Collection

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.access import OperatorAccess, canonical_uuid, decide_access, parse_org_id
from lml.identity.domain.errors import NotAUser
from lml.platform.domain.principal import Principal


async def authorize_operator(
    *, uow: UnitOfWorkFactory, principal: Principal, org_id: str | None, allowed_roles: Collection[str]
) -> OperatorAccess:
    """`org_id` is the raw header value. Missing or malformed → `InvalidInput` naming `X-Org-ID`;
    not a member with an allowed role (or no such organization) → `NotAnOperator` (a `Forbidden`)."""
    org = parse_org_id(org_id)
    user_id = canonical_uuid(principal.subject) if principal.kind == "user" else None
    if user_id is None:
        raise NotAUser()
    async with uow() as tx:
        facts = await tx.organizations.access_facts(org, user_id)
    return decide_access(user_id, org, facts, allowed_roles)
