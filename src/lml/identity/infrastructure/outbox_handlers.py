"""Identity's handlers of its own account requests: in the worker, in the transaction that delivers
the request's outbox event, a one-time token is made (its digest stored) and handed to the mail port
(`AccountMail`, which the composition root plugs into notifications). The request's route only
published the event, so its answer and its timing are the same for every email."""

from __future__ import annotations

import msgspec

from lml.identity.application.mail_account_tokens import mail_guest_recovery, mail_password_reset
from lml.identity.application.ports import AccountMail
from lml.identity.events import GuestRecoveryRequested, PasswordResetRequested
from lml.identity.infrastructure.pg_unit_of_work import PgIdentityUnitOfWork
from lml.identity.infrastructure.services import IdentityServices
from lml.platform.db import UnitOfWork
from lml.platform.outbox import Handler, OutboxEvent


def outbox_handlers(identity: IdentityServices, *, mail: AccountMail) -> dict[str, list[Handler]]:
    async def guest_recovery(event: OutboxEvent, uow: UnitOfWork) -> None:
        asked = msgspec.convert(event.payload, GuestRecoveryRequested)
        await mail_guest_recovery(PgIdentityUnitOfWork(uow, owns_transaction=False), mail, uow, identity.clock,
                                  email=asked.email, request_id=f"{event.event_type}:{event.id}")

    async def password_reset(event: OutboxEvent, uow: UnitOfWork) -> None:
        asked = msgspec.convert(event.payload, PasswordResetRequested)
        await mail_password_reset(PgIdentityUnitOfWork(uow, owns_transaction=False), mail, uow, identity.clock,
                                  email=asked.email, request_id=f"{event.event_type}:{event.id}")

    return {
        "identity.GuestRecoveryRequested": [guest_recovery],
        "identity.PasswordResetRequested": [password_reset],
    }
