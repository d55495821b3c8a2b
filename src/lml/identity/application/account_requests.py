"""Asking for a guest recovery link or a password reset: the route answers 202 alike for every email,
so it does the same work for every email (one outbox event, no look-up). Whether a token is made
and mailed is decided later, in the worker (`mail_account_tokens`), where no answer waits on it."""

from __future__ import annotations

from lml.identity.application.ports import UnitOfWorkFactory
from lml.identity.domain.rules import email_problem, normalize_email, raise_if_any
from lml.identity.events import GuestRecoveryRequested, PasswordResetRequested
from lml.platform.clock import Clock


def _checked(email: str) -> str:
    # A malformed address is refused (422) before anything: that tells nothing about any account.
    raise_if_any([("/email", email_problem(email))])
    return normalize_email(email)


async def request_guest_recovery(*, uow: UnitOfWorkFactory, clock: Clock, email: str) -> None:
    email = _checked(email)
    async with uow() as tx:
        await tx.publish(GuestRecoveryRequested(email=email, requested_at=clock.now()))
        await tx.commit()


async def request_password_reset(*, uow: UnitOfWorkFactory, clock: Clock, email: str) -> None:
    email = _checked(email)
    async with uow() as tx:
        await tx.publish(PasswordResetRequested(email=email, requested_at=clock.now()))
        await tx.commit()
