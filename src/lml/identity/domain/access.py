"""Who may act inside an organization: its members with an allowed role, and platform admins."""

from __future__ import annotations

import uuid
from collections.abc import Collection

import msgspec

from lml.identity.domain.errors import NotAnOperator
from lml.identity.domain.organization import OWNER
from lml.platform.domain.errors import FieldError, InvalidInput

PLATFORM_ADMIN_ROLE = "platform_admin"
ORG_HEADER = "X-Org-ID"
# Who may add members to an organization (platform admins may too).
MEMBER_ADMIN_ROLES = (OWNER,)


class OperatorAccess(msgspec.Struct, frozen=True):
    """The caller may act inside `org_id` as `role` (a member's role, or "platform_admin")."""

    user_id: str
    org_id: str
    role: str


class AccessFacts(msgspec.Struct, frozen=True):
    """What the store knows about one user and one existing organization."""

    member_role: str | None
    is_platform_admin: bool


def canonical_uuid(raw: str) -> str | None:
    """The canonical text of a UUID, or None when `raw` is not one."""
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        return None


def parse_org_id(raw: str | None, field: str = ORG_HEADER) -> str:
    """The canonical organization id in `raw` (by default the `X-Org-ID` header's value)."""
    return _parse_id(raw, field, "an organization id")


def parse_user_id(raw: str, field: str) -> str:
    return _parse_id(raw, field, "a user id")


def _parse_id(raw: str | None, field: str, what: str) -> str:
    canonical = canonical_uuid(raw) if raw else None
    if canonical is None:
        message = "is required" if not raw else f"must be {what} (a UUID)"
        raise InvalidInput([FieldError(field, message)], detail=f"{field} {message}")
    return canonical


def decide_access(
    user_id: str, org_id: str, facts: AccessFacts | None, allowed_roles: Collection[str]
) -> OperatorAccess:
    """`facts` is None when the organization or the user does not exist: that is refused like a
    non-member, so that a caller cannot tell another organization's id from a made-up one."""
    if facts is not None:
        if facts.member_role is not None and facts.member_role in allowed_roles:
            return OperatorAccess(user_id=user_id, org_id=org_id, role=facts.member_role)
        if facts.is_platform_admin:
            return OperatorAccess(user_id=user_id, org_id=org_id, role=PLATFORM_ADMIN_ROLE)
    raise NotAnOperator()
