"""The inbox of Stripe events: states, the retry policy and the admin list's cursor."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any, Literal

import msgspec

from lml.platform.domain.errors import FieldError, InvalidInput

InboxStatus = Literal["pending", "processed", "ignored", "dead"]
EventSource = Literal["webhook", "reconciliation"]

# After this many failed attempts an event is dead: listed for an admin, retried only on request.
MAX_ATTEMPTS = 10


class InboxEntry(msgspec.Struct, frozen=True):
    event_id: str
    seq: int
    event_type: str
    source: EventSource
    payload: dict[str, Any]
    status: InboxStatus
    attempts: int
    next_attempt_at: datetime
    received_at: datetime
    last_error: str | None = None
    note: str | None = None
    stripe_created_at: datetime | None = None
    processed_at: datetime | None = None
    # The trace the event arrived in (W3C traceparent): its processing continues it.
    trace_context: str | None = None


def is_dead_after(attempts: int, max_attempts: int = MAX_ATTEMPTS) -> bool:
    return attempts >= max_attempts


_CURSOR = re.compile(r"s[0-9]{1,19}")
_MAX_SEQ = 2**63 - 1


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    # A sequence number fits a bigint: a larger one, from a forged cursor only, would fail in SQL.
    if _CURSOR.fullmatch(text) and int(text[1:]) <= _MAX_SEQ:
        return int(text[1:])
    raise InvalidInput([FieldError("/cursor", "is not a cursor this list returned")])
