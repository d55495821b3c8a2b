"""The pass an admitted buyer holds seats with: signed, so that the hold route checks it with no
store look-up, and bound to one show and one buyer until it expires.

    <claims, base64url JSON>.<HMAC-SHA256 of them, base64url>

A pass stolen from another buyer is refused (the buyer is in the claims); so is one for another show,
one past its expiry, and any change to a byte of it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import msgspec

from lml.admission.domain.errors import QueuePassInvalid


class PassClaims(msgspec.Struct, frozen=True):
    show_id: str = msgspec.field(name="s")
    buyer: str = msgspec.field(name="b")  # the buyer the show's limit counts (`limit_key`)
    entry_id: str = msgspec.field(name="e")
    expires_ms: int = msgspec.field(name="x")

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires_ms / 1000, UTC)


_encode = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(PassClaims)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_pass(claims: PassClaims, key: bytes) -> str:
    body = _b64(_encode.encode(claims))
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def verify_pass(token: str, key: bytes, *, show_id: str, buyer: str, now: datetime) -> PassClaims:
    """The claims of a pass for this show and buyer, alive at `now`. Raises QueuePassInvalid."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise QueuePassInvalid()
        claims = _decode.decode(_unb64(body))
    except (ValueError, msgspec.DecodeError) as exc:  # not base64, not JSON: not ours
        raise QueuePassInvalid() from exc
    if claims.show_id != show_id or claims.buyer != buyer:
        raise QueuePassInvalid()
    if claims.expires_ms <= int(now.timestamp() * 1000):
        raise QueuePassInvalid("The queue pass has expired: ask the line for a new one")
    return claims
