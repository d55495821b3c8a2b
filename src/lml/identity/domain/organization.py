"""Organizations (the tenants: venue operators) and the roles their members hold."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from lml.identity.domain.errors import LastOwner

Role = Literal["owner", "manager", "box_office"]
ROLES: tuple[str, ...] = get_args(Role)
OWNER = "owner"


class Organization(msgspec.Struct, frozen=True, kw_only=True):
    """`mail_from_name` and `reply_to` dress the organization's mail to buyers (None: the platform's
    defaults); the envelope sender stays the platform's."""

    id: str
    name: str
    created_at: datetime
    mail_from_name: str | None = None
    reply_to: str | None = None


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """One user's role in one organization, with the organization's name for display."""

    org_id: str
    org_name: str
    user_id: str
    role: str


def role_problem(role: str) -> str | None:
    return None if role in ROLES else f"must be one of {', '.join(ROLES)}"


def check_an_owner_remains(role: str, new_role: str | None, owners: int) -> None:
    """The rule every change of a member keeps, whichever route makes it: an organization keeps an
    owner. `role` is the member's role now, `new_role` None when they leave, `owners` the number of
    owners now (the member included). Raises `LastOwner`."""
    if role == OWNER and new_role != OWNER and owners <= 1:
        raise LastOwner()
