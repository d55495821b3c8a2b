"""A registered user, and the scopes their access tokens carry."""

from __future__ import annotations

from datetime import datetime

import msgspec

from lml.platform.domain.principal import BUYER_SCOPE, PLATFORM_ADMIN_SCOPE


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    email: str
    name: str
    password_hash: str
    is_platform_admin: bool
    created_at: datetime
    phone: str | None = None  # E.164, for text messages about their orders

    @property
    def scopes(self) -> frozenset[str]:
        """Every user may buy; platform admins may also run the platform."""
        return frozenset({BUYER_SCOPE, PLATFORM_ADMIN_SCOPE} if self.is_platform_admin else {BUYER_SCOPE})
