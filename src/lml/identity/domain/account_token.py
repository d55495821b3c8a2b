"""One-time tokens sent by email: a guest recovery link (the guest then sees every order placed by
guests with that email) or a password reset link. Only their SHA-256 digest is stored (a leaked
table gives no usable link); each works once, within 30 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import msgspec

AccountTokenKind = Literal["guest_recovery", "password_reset"]
GUEST_RECOVERY: AccountTokenKind = "guest_recovery"
PASSWORD_RESET: AccountTokenKind = "password_reset"  # noqa: S105 - a kind of token, not a password

# Long enough to open one's mail, short enough that a link found later in a mailbox is useless.
ACCOUNT_TOKEN_LIFETIME = timedelta(minutes=30)
# Bytes of randomness in a token (token_urlsafe: 43 characters).
ACCOUNT_TOKEN_BYTES = 32


class AccountToken(msgspec.Struct, frozen=True, kw_only=True):
    """`user_id` is the account a password reset is for; a guest recovery names no user."""

    id: str
    kind: AccountTokenKind
    token_hash: str
    email: str
    user_id: str | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
