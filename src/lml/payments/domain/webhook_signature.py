"""Stripe's webhook signature: `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]` where each
v1 is HMAC-SHA256(endpoint secret, f"{t}.{raw body}"). Verified on the raw bytes, never on a
re-encoded body, against every secret currently accepted (two during a rotation)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from lml.payments.domain.errors import InvalidWebhookSignature

# Stripe's own default: a signed body older (or newer) than this is refused as a possible replay.
TOLERANCE_SECONDS = 300
# Seconds since 1970 in ASCII digits; a longer number is no time at all (and int() of a few thousand
# digits raises).
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


def verify_signature(
    payload: bytes, header: str | None, secrets: Sequence[str], *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> None:
    """Return if one v1 signature matches one secret within the tolerance, else raise."""
    if not header:
        raise InvalidWebhookSignature("The Stripe-Signature header is missing")
    timestamp, signatures = _parse(header)
    if abs(now - timestamp) > tolerance:
        raise InvalidWebhookSignature("The Stripe-Signature timestamp is outside the tolerance")
    signed = str(timestamp).encode() + b"." + payload
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        # Every candidate is compared, in constant time, so timing reveals nothing about which one failed.
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return
    raise InvalidWebhookSignature("No signature in the Stripe-Signature header matches")


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and _UNIX_TIME.fullmatch(value):
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidWebhookSignature("The Stripe-Signature header is malformed")
    return timestamp, signatures
