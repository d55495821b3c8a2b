"""A message to one recipient: recorded before it is sent, then `queued → sent | failed → dead`.

    queued ──sent──▶ sent
      │ failure
      ▼
    failed ──sent──▶ sent          (retried with backoff, see `retry`)
      │ gives up, or a permanent refusal (the address does not exist)
      ▼
     dead                           (an operator sees it and may resend)

A message held back by the per-recipient limit is recorded `dead` at once, saying why, so that the
operator sees it too and the same event never sends it later.

Every message has a dedupe key made of the event that caused it, its recipient and its kind: the
same event delivered twice (the outbox delivers at least once) records one message."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from lml.notifications.domain.errors import InvalidTransition
from lml.notifications.domain.recipient import Channel, normalize_recipient
from lml.notifications.domain.retry import Jitter, RetryPolicy


class MessageKind(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    PAYMENT_FAILED = "payment_failed"
    REFUND_PROCESSED = "refund_processed"
    SHOW_CANCELLED = "show_cancelled"
    SHOW_REMINDER = "show_reminder"
    ANNOUNCEMENT = "announcement"
    GUEST_RECOVERY = "guest_recovery"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of message, not a password


# About one order, to its buyer: transactional mail, never held back because of another order's.
ORDER_KINDS = frozenset({MessageKind.ORDER_CONFIRMATION, MessageKind.PAYMENT_FAILED,
                         MessageKind.REFUND_PROCESSED, MessageKind.SHOW_CANCELLED})
# About one show, to every holder of a valid ticket for it.
SHOW_KINDS = frozenset({MessageKind.SHOW_REMINDER, MessageKind.ANNOUNCEMENT})
# Carrying a one-time token (the link in them is the secret).
TOKEN_KINDS = frozenset({MessageKind.GUEST_RECOVERY, MessageKind.PASSWORD_RESET})
# The kinds that have an SMS form (a short text with a link to the tickets).
SMS_KINDS = frozenset({MessageKind.ORDER_CONFIRMATION})

# What each kind's templates read from the message's `data`, beyond the order or show it is about.
DATA_KEYS: dict[MessageKind, tuple[str, ...]] = {
    MessageKind.PAYMENT_FAILED: ("pay_before",),  # RFC 3339: when the unpaid order expires
    MessageKind.REFUND_PROCESSED: ("amount", "remaining"),  # minor units of the order's currency
    MessageKind.SHOW_CANCELLED: ("refund_amount",),
    MessageKind.ANNOUNCEMENT: ("subject", "body"),
}

ERROR_MAX = 500


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


# Still to be sent: the sender claims these when they are due.
PENDING = frozenset({MessageStatus.QUEUED, MessageStatus.FAILED})


class Message(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    dedupe_key: str
    kind: MessageKind
    channel: Channel
    recipient: str
    # The organization whose order or show the message is about; None for account mail.
    organization_id: str | None = None
    order_id: str | None = None
    show_id: str | None = None
    announcement_id: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    # The one-time token of TOKEN_KINDS: erased once the message is sent or dead, so that the log of
    # messages never keeps a usable token. Never logged.
    secret: str | None = None
    status: MessageStatus = MessageStatus.QUEUED
    attempts: int = 0
    last_error: str | None = None
    provider_message_id: str | None = None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    # The trace the message was asked for in (W3C traceparent): its sending continues it.
    trace_context: str | None = None

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    def sent(self, provider_message_id: str, at: datetime) -> Message:
        self._check_pending()
        return msgspec.structs.replace(
            self, status=MessageStatus.SENT, attempts=self.attempts + 1, last_error=None,
            provider_message_id=provider_message_id, sent_at=at, secret=None,
        )

    def failed(
        self, error: str, at: datetime, retry: RetryPolicy, jitter: Jitter, *, permanent: bool = False
    ) -> Message:
        """One more failed attempt: retried after the policy's delay, or dead when the policy gives up
        or the refusal is permanent (retrying would fail the same way)."""
        self._check_pending()
        attempts = self.attempts + 1
        if permanent or retry.gives_up(attempts, recorded_at=self.created_at, now=at):
            return msgspec.structs.replace(self, status=MessageStatus.DEAD, attempts=attempts,
                                           last_error=error[:ERROR_MAX], next_attempt_at=at, secret=None)
        return msgspec.structs.replace(self, status=MessageStatus.FAILED, attempts=attempts,
                                       last_error=error[:ERROR_MAX],
                                       next_attempt_at=at + retry.delay(attempts, jitter))

    def suppressed(self, reason: str, at: datetime) -> Message:
        """Not sent at all (the per-recipient limit): dead at once, no attempt made."""
        self._check_pending()
        return msgspec.structs.replace(self, status=MessageStatus.DEAD, last_error=f"not sent: {reason}"[:ERROR_MAX],
                                       next_attempt_at=at, secret=None)

    def _check_pending(self) -> None:
        if not self.is_pending:
            raise InvalidTransition(f"message {self.message_id} is {self.status}, not pending")


def dedupe_key(event_key: str, recipient: str, kind: MessageKind) -> str:
    """One message per (event, recipient, kind): SHA-256 of the three, so that any event key fits."""
    return hashlib.sha256("\x1f".join((event_key, recipient, kind.value)).encode()).hexdigest()


def new_message(
    *, message_id: str, kind: MessageKind, channel: Channel, recipient: str, event_key: str, at: datetime,
    organization_id: str | None = None, order_id: str | None = None, show_id: str | None = None,
    announcement_id: str | None = None, data: dict[str, Any] | None = None, secret: str | None = None,
) -> Message:
    """A queued message, due at once. Raises InvalidInput for a malformed recipient, and ValueError
    when the caller left out what the kind needs (a programming error, not the user's)."""
    data = data or {}
    missing = [name for name, needed in (
        ("order_id", kind in ORDER_KINDS and not order_id),
        ("show_id", kind in SHOW_KINDS and not show_id),
        ("announcement_id", kind is MessageKind.ANNOUNCEMENT and not announcement_id),
        ("secret", kind in TOKEN_KINDS and not secret),
        *((f"data.{key}", key not in data) for key in DATA_KEYS.get(kind, ())),
    ) if needed]
    if missing:
        raise ValueError(f"a {kind} message needs {', '.join(missing)}")
    if secret and kind not in TOKEN_KINDS:
        raise ValueError(f"a {kind} message carries no secret")
    if channel is Channel.SMS and kind not in SMS_KINDS:
        raise ValueError(f"a {kind} message has no SMS form")
    recipient = normalize_recipient(channel, recipient)
    return Message(
        message_id=message_id, dedupe_key=dedupe_key(event_key, recipient, kind), kind=kind, channel=channel,
        recipient=recipient, organization_id=organization_id, order_id=order_id, show_id=show_id,
        announcement_id=announcement_id, data=data, secret=secret, next_attempt_at=at, created_at=at,
    )
