"""What other contexts (and the composition root, the CLI, the demo seeder) may call on identity.

`IdentityFacade` is built by the composition root over identity's services. Operator routes
elsewhere take the guard `operator_in(WRITERS | READERS)` and the dependency `current_operator`;
both check the raw `X-Org-ID` header value through `IdentityFacade.authorize_operator`: missing or
malformed → `InvalidInput` (422) naming `X-Org-ID`; not a member with an allowed role, or no such
organization → `Forbidden` (403); platform admins may act in any existing organization.
"""

from __future__ import annotations

from collections.abc import Collection

import msgspec

from lml.identity.application import add_member as _add_member
from lml.identity.application import authorize_operator as _authorize
from lml.identity.application import create_organization as _create_organization
from lml.identity.application import ensure_account as _ensure_account
from lml.identity.application import organization_mail as _organization_mail
from lml.identity.domain.access import ORG_HEADER, PLATFORM_ADMIN_ROLE, OperatorAccess, canonical_uuid, parse_org_id
from lml.identity.domain.errors import OrganizationNotFound
from lml.identity.domain.organization import ROLES, Role
from lml.identity.infrastructure.operator_guard import READERS, WRITERS, current_operator, operator_in
from lml.identity.infrastructure.services import IdentityServices
from lml.platform.domain.principal import Principal

__all__ = [
    "PLATFORM_ADMIN_ROLE",
    "READERS",
    "ROLES",
    "WRITERS",
    "IdentityFacade",
    "IdentityServices",
    "OperatorAccess",
    "OrganizationMail",
    "Role",
    "current_operator",
    "operator_in",
]


class OrganizationMail(msgspec.Struct, frozen=True, kw_only=True):
    """How an organization's mail to buyers is dressed: the sender's display name and the reply-to
    address (None: the platform's defaults). The envelope sender stays the platform's."""

    mail_from_name: str | None
    reply_to: str | None


class IdentityFacade:
    def __init__(self, services: IdentityServices) -> None:
        self._services = services

    async def authorize_operator(
        self, principal: Principal, org_id: str | None, allowed_roles: Collection[str], *, field: str = ORG_HEADER
    ) -> OperatorAccess:
        """`org_id` is the raw value of `field` (the `X-Org-ID` header unless named otherwise)."""
        return await _authorize.authorize_operator(uow=self._services.uow, principal=principal,
                                                   org_id=parse_org_id(org_id, field), allowed_roles=allowed_roles)

    async def create_organization(self, name: str, *, org_id: str | None = None) -> str:
        """The new organization's id. Given an `org_id` that exists already, changes nothing and returns it."""
        organization = await _create_organization.create_organization(
            uow=self._services.uow, clock=self._services.clock, name=name, org_id=org_id)
        return organization.id

    async def add_member(self, org_id: str, email: str, role: Role) -> str:
        """Make the registered user with `email` a member with `role` (or change their role); their id."""
        added = await _add_member.add_member(uow=self._services.uow, org_id=org_id, email=email, role=role)
        return added.user_id

    async def ensure_user(self, email: str, password: str, name: str, *, platform_admin: bool = False) -> str:
        """A user with this email and password, created if needed (an existing one's password is reset);
        their id."""
        ready = await _ensure_account.ensure_account(
            uow=self._services.uow, hasher=self._services.hasher, clock=self._services.clock, email=email,
            password=password, name=name, platform_admin=platform_admin)
        return ready.user_id

    async def organization_mail(self, org_id: str) -> OrganizationMail | None:
        """The organization's mail settings; None when there is no such organization."""
        canonical = canonical_uuid(org_id)
        if canonical is None:
            return None
        try:
            organization = await _organization_mail.organization(uow=self._services.uow, org_id=canonical)
        except OrganizationNotFound:
            return None
        return OrganizationMail(mail_from_name=organization.mail_from_name, reply_to=organization.reply_to)
