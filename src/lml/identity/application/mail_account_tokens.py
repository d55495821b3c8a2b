"""The worker's side of the account requests: make a one-time token (only its digest is stored) and
have it mailed, in the transaction that delivers the request's outbox event (`tx` works on it, and
its owner commits it: the token and its message are kept exactly when the event is marked
delivered). Nothing here commits, and no token is ever logged or put in an event."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lml.identity.application.ports import AccountMail, IdentityUnitOfWork
from lml.identity.domain.account_token import (
    ACCOUNT_TOKEN_BYTES,
    ACCOUNT_TOKEN_LIFETIME,
    GUEST_RECOVERY,
    PASSWORD_RESET,
    AccountToken,
    AccountTokenKind,
)
from lml.identity.domain.refresh_token import digest
from lml.platform.clock import Clock
from lml.platform.ids import new_id, new_secret

if TYPE_CHECKING:
    from lml.platform.db import UnitOfWork


async def _issue(
    tx: IdentityUnitOfWork, clock: Clock, kind: AccountTokenKind, email: str, user_id: str | None
) -> tuple[str, datetime]:
    secret, now = new_secret(ACCOUNT_TOKEN_BYTES), clock.now()
    expires_at = now + ACCOUNT_TOKEN_LIFETIME
    await tx.account_tokens.add(AccountToken(id=new_id(), kind=kind, token_hash=digest(secret), email=email,
                                             user_id=user_id, created_at=now, expires_at=expires_at))
    return secret, expires_at


async def mail_guest_recovery(
    tx: IdentityUnitOfWork, mail: AccountMail, delivery: UnitOfWork, clock: Clock, *, email: str, request_id: str
) -> None:
    """Always mailed, whether or not a guest ever bought with this email: the guest may have, and the
    answer to the request must not tell. A link for an email with no orders shows no orders."""
    token, expires_at = await _issue(tx, clock, GUEST_RECOVERY, email, None)
    await mail.guest_recovery(delivery, email=email, token=token, expires_at=expires_at, request_id=request_id)


async def mail_password_reset(
    tx: IdentityUnitOfWork, mail: AccountMail, delivery: UnitOfWork, clock: Clock, *, email: str, request_id: str
) -> bool:
    """Mailed only when a registered user has this email; whether one was is returned (for tests)."""
    user = await tx.users.by_email(email)
    if user is None:
        return False
    token, expires_at = await _issue(tx, clock, PASSWORD_RESET, user.email, user.id)
    await mail.password_reset(delivery, email=user.email, token=token, expires_at=expires_at, request_id=request_id)
    return True
