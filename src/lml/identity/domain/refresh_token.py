"""Refresh tokens: opaque secrets kept as digests, grouped in families that rotate on every use."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

import msgspec

RefreshState = Literal["active", "used", "revoked", "expired"]


def digest(token: str) -> str:
    """What is stored instead of the token: a leaked table gives no usable tokens."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class RefreshToken(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str
    family_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def state(self, now: datetime) -> RefreshState:
        # Revocation wins over use: a reused token of a revoked family is simply invalid.
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return "active"
