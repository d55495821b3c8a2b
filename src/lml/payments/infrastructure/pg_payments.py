"""PaymentRecords and RefundRecords on PostgreSQL (`payments.payment_intents`, `payments.refunds`)."""

from __future__ import annotations

from typing import Any

import psycopg.errors
from psycopg import AsyncConnection

from lml.payments.domain.errors import PaymentProviderUnavailable
from lml.payments.domain.payment import TERMINAL_STATUSES, PaymentRecord, Refund
from lml.platform.db import UnitOfWork, execute_together

Conn = AsyncConnection[dict[str, Any]]

# The first key of payments' advisory locks (the second is the order id's hash): "PAYM".
_LOCK_SPACE = 0x5041594D
# Held across one Stripe call (two attempts of at most 5 s): waiting longer than that means trouble.
_PROVIDER_CALL_LIMITS = {
    "lock_timeout": "15s",
    "statement_timeout": "15s",
    "idle_in_transaction_session_timeout": "30s",
}
# All three in one statement, before the lock's own (a statement's timeout is armed when it starts).
_SET_PROVIDER_CALL_LIMITS = "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)"
                                                  for name, value in _PROVIDER_CALL_LIMITS.items())

_TERMINAL = sorted(TERMINAL_STATUSES)
_LOCK = "SELECT pg_advisory_xact_lock(%s::int, hashtext(%s))"
_INTENT_COLUMNS = """
    order_id::text AS order_id, show_id::text AS show_id, payment_intent_id, client_secret, status, amount, currency
"""
_SELECT_INTENT = "SELECT" + _INTENT_COLUMNS + "FROM payments.payment_intents "
# The reported status unless the one recorded is terminal (`next_status`), and the record in the same
# statement: as the update left it, or as it was when the update changed nothing. The update's
# conditions are checked against the row as the statement finds it (after waiting for another
# transaction's change to it), so that a terminal status set meanwhile stays too.
_REPORT_STATUS = """
    WITH moved AS (
        UPDATE payments.payment_intents SET status = %(reported)s, updated_at = now()
        WHERE payment_intent_id = %(payment_intent_id)s AND status <> %(reported)s AND status <> ALL(%(terminal)s)
        RETURNING""" + _INTENT_COLUMNS + """)
    SELECT * FROM moved
    UNION ALL
""" + _SELECT_INTENT + "WHERE payment_intent_id = %(payment_intent_id)s AND NOT EXISTS (SELECT FROM moved)"  # noqa: S608 - fixed text
_SELECT_REFUND = """
    SELECT id::text AS id, order_id::text AS order_id, seq, payment_intent_id, amount, currency, reason, status,
           stripe_refund_id, failure_reason
    FROM payments.refunds
"""


class PgPaymentRecords:
    def __init__(self, uow: UnitOfWork) -> None:
        self.conn = uow.conn
        self._uow = uow

    async def lock_order(self, order_id: str, *, across_provider_call: bool = False) -> None:
        if across_provider_call:
            await self.conn.execute(_SET_PROVIDER_CALL_LIMITS)
        try:
            await self.conn.execute(_LOCK, (_LOCK_SPACE, order_id))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            raise _being_set_up() from None

    async def locked(self, order_id: str, *, across_provider_call: bool = False) -> PaymentRecord | None:
        # The limits, the lock and the read in one round trip: each statement still starts (its timeout
        # armed, its snapshot taken) after the one before it, so the read sees what the lock waited for.
        statements = [*([_SET_PROVIDER_CALL_LIMITS] if across_provider_call else []), _LOCK,
                      _SELECT_INTENT + "WHERE order_id = %s"]
        try:
            *_, rows = await execute_together(self.conn, statements, (_LOCK_SPACE, order_id, order_id))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            raise _being_set_up() from None
        return _record(rows[0] if rows else None)

    async def get(self, order_id: str) -> PaymentRecord | None:
        cur = await self.conn.execute(
            _SELECT_INTENT + "WHERE order_id = %s",
            (order_id,)
        )
        return _record(await cur.fetchone())

    async def by_payment_intent(self, payment_intent_id: str) -> PaymentRecord | None:
        cur = await self.conn.execute(
            _SELECT_INTENT + "WHERE payment_intent_id = %s",
            (payment_intent_id,),
        )
        return _record(await cur.fetchone())

    async def add(self, record: PaymentRecord) -> None:
        # Written with the commit, in its round trip: what records a PaymentIntent commits right after
        # (under the order's lock), and nothing references the row before.
        self._uow.write_with_commit((
            "INSERT INTO payments.payment_intents (order_id, show_id, payment_intent_id, client_secret, status, amount,"
            " currency) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (record.order_id, record.show_id, record.payment_intent_id, record.client_secret, record.status,
             record.amount, record.currency),
        ))

    async def report_status(self, payment_intent_id: str, reported: str) -> PaymentRecord | None:
        cur = await self.conn.execute(
            _REPORT_STATUS,
            {"payment_intent_id": payment_intent_id, "reported": reported, "terminal": _TERMINAL},
        )
        return _record(await cur.fetchone())


class PgRefundRecords:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def for_order(self, order_id: str) -> list[Refund]:
        cur = await self.conn.execute(
            _SELECT_REFUND + "WHERE order_id = %s ORDER BY seq",
            (order_id,)
        )
        return [_refund(row) for row in await cur.fetchall()]

    async def lock(self, refund_id: str) -> Refund | None:
        cur = await self.conn.execute(
            _SELECT_REFUND + "WHERE id = %s FOR UPDATE",
            (refund_id,)
        )
        row = await cur.fetchone()
        return _refund(row) if row else None

    async def by_stripe_id(self, stripe_refund_id: str) -> Refund | None:
        cur = await self.conn.execute(
            _SELECT_REFUND + "WHERE stripe_refund_id = %s FOR UPDATE",
            (stripe_refund_id,),
        )
        row = await cur.fetchone()
        return _refund(row) if row else None

    async def add(self, refund: Refund) -> None:
        await self.conn.execute(
            "INSERT INTO payments.refunds (id, order_id, seq, payment_intent_id, amount, currency, reason, status,"
            " stripe_refund_id, failure_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (refund.id, refund.order_id, refund.seq, refund.payment_intent_id, refund.amount, refund.currency,
             refund.reason, refund.status, refund.stripe_refund_id, refund.failure_reason),
        )

    async def save(self, refund: Refund) -> None:
        await self.conn.execute(
            "UPDATE payments.refunds SET status = %s, stripe_refund_id = %s, failure_reason = %s, updated_at = now()"
            " WHERE id = %s",
            (refund.status, refund.stripe_refund_id, refund.failure_reason, refund.id),
        )


def _record(row: dict[str, Any] | None) -> PaymentRecord | None:
    return PaymentRecord(**row) if row else None


def _refund(row: dict[str, Any]) -> Refund:
    return Refund(**row)


def _being_set_up() -> PaymentProviderUnavailable:
    return PaymentProviderUnavailable(
        retry_after=2, detail="The payment for this order is being set up; try again shortly"
    )
