"""Organizations (the tenants: venue operators) and the roles their members hold."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

Role = Literal["owner", "manager", "box_office"]
ROLES: tuple[str, ...] = get_args(Role)


class Organization(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    created_at: datetime


class Membership(msgspec.Struct, frozen=True, kw_only=True):
    """One user's role in one organization, with the organization's name for display."""

    org_id: str
    org_name: str
    user_id: str
    role: str


def role_problem(role: str) -> str | None:
    return None if role in ROLES else f"must be one of {', '.join(ROLES)}"
